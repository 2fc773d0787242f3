/**
 * Lab: an `apt-get update` that hangs (apt's http method behind a package cache that cut an answer
 * short waits forever, holding no socket) is stopped by its watchdog and tried once more, on a real
 * host as `deploy`. A shim in /usr/local/sbin, first on sudo's path, stands in for the hang: it
 * makes the chosen `apt-get update` runs sleep instead of running, and passes everything else to the
 * real apt-get. The package lists are removed first, so the install must begin with an update.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aptPackagesProvider, updateWatchdogSeconds } from "../../src/host/resources/apt-packages";
import type { HostConnection } from "../../src/host/transport/connection";
import { aptInputs } from "./support/inputs";
import { type Lab, labHostFixture, onHost } from "./support/lab";

const HOST = "mirror-1";
const STATE = "/run/lyra-apt-hang-test";
/** Short, so the test waits 12 s per hang rather than the default two minutes. */
const TIMEOUT_SECONDS = 60;
const WATCHDOG = updateWatchdogSeconds(TIMEOUT_SECONDS);
/** A sleep no other process on the host runs, to find a hang the watchdog left behind. */
const HANG = "sleep 86399";

const SHIM = `#!/bin/sh
# lyra-fleet lab test (lab-apt-update-hang): every update is logged; the ones $STATE/hangs still
# counts hang, the rest run the real apt-get.
case " $* " in
  *" update "*)
    echo update >> ${STATE}/calls
    left=$(cat ${STATE}/hangs)
    if [ "$left" -gt 0 ]; then echo $((left - 1)) > ${STATE}/hangs; exec ${HANG}; fi ;;
esac
exec /usr/bin/apt-get "$@"
`;

const CLEANUP = `rm -f /usr/local/sbin/apt-get; rm -rf ${STATE}; pkill -x -f '${HANG}' || true`;

let lab: Lab;
let connection: HostConnection;
labHostFixture(HOST, CLEANUP, (current, deploy) => {
  lab = current;
  connection = deploy;
});

/** Puts the shim in place with `hangs` updates to hang, removes `tree` and the package lists. */
async function prepare(hangs: number): Promise<void> {
  await onHost(
    lab,
    HOST,
    `set -e; mkdir -p ${STATE}; echo ${hangs} > ${STATE}/hangs; : > ${STATE}/calls
cat > /usr/local/sbin/apt-get <<'SHIM'
${SHIM}SHIM
chmod 0755 /usr/local/sbin/apt-get
if dpkg-query -W -f='\${Status}' tree 2>/dev/null | grep -q 'ok installed'; then /usr/bin/apt-get remove -y -q tree >/dev/null; fi
rm -f /var/lib/apt/lists/*_Packages* /var/lib/apt/lists/*Release*`,
  );
}

const updateCalls = async () => (await onHost(lab, HOST, `cat ${STATE}/calls`)).split("\n").filter(Boolean).length;
const hangsLeft = async () => (await onHost(lab, HOST, `pgrep -x -f '${HANG}' || true`)).trim();

describe(`lab: a hanging apt-get update on ${HOST}`, () => {
  it("is stopped after its watchdog and tried once more, and the install completes", async () => {
    await prepare(1);
    const { outs } = await aptPackagesProvider.create(aptInputs(connection, ["tree"], TIMEOUT_SECONDS) as never);
    assert.match(outs?.installed.tree ?? "", /^\d/, "tree is installed");
    assert.match(await onHost(lab, HOST, "tree --version"), /^tree v/);
    assert.equal(await updateCalls(), 2, "one update that hung, one that ran");
    assert.equal(await hangsLeft(), "", "the hung update was stopped, not left running");
  });

  it("that hangs again fails clearly, naming the watchdog, and leaves nothing running", async () => {
    await prepare(2);
    await assert.rejects(
      aptPackagesProvider.create(aptInputs(connection, ["tree"], TIMEOUT_SECONDS) as never),
      (error: Error) => {
        assert.match(error.message, /^mirror-1 \(deploy@[^)]+\): apt-get could not install tree \(exit code 5\)/);
        assert.match(
          error.message,
          new RegExp(
            `apt-get update did not finish within ${WATCHDOG} s and was stopped; trying once more in \\d+\\.\\d s`,
          ),
        );
        assert.match(
          error.message,
          new RegExp(`apt-get update did not finish within ${WATCHDOG} s and was stopped; giving up`),
        );
        return true;
      },
    );
    assert.equal(await updateCalls(), 2);
    assert.equal(await hangsLeft(), "");
    // The host gets its package lists back before the next test file.
    await onHost(lab, HOST, `rm -f /usr/local/sbin/apt-get; /usr/bin/apt-get update -q >/dev/null`);
  });
});
