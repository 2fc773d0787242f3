/**
 * Lab: a package cache that answers an index refresh with "503 Error in cache data", as Debian
 * bookworm's apt-cacher-ng does to one of two hosts refreshing the same index in the same second,
 * costs a retry, not a hung `apt-get update`. apt 2.6 retries a failed InRelease after a
 * delay, and in an update that retry never came: the update hung until its watchdog stopped it
 * (src/host/resources/apt-packages.ts). A stand-in cache on mirror-1 passes every request to nas's
 * apt-cacher-ng but answers the first request for bookworm-updates' InRelease with apt-cacher-ng's
 * 503, and logs every request. The package lists are removed first, so the install begins with an
 * update. Both the fleet's own install and an operator's `apt-get update` under the apt.conf file
 * the fleet writes (src/render/apt.ts) are checked.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aptPackagesProvider, updateWatchdogSeconds } from "../../src/host/resources/apt-packages";
import type { HostConnection } from "../../src/host/transport/connection";
import type { FleetModel } from "../../src/model/fleet";
import { aptFragment, aptProxyFile } from "../../src/render/apt";
import { goOnline, labNas, waitForAptCacheMode } from "../lab/lab";
import { aptInputs } from "./support/inputs";
import { type Lab, labHostFixture, onHost } from "./support/lab";

const HOST = "mirror-1";
const STATE = "/run/lyra-apt-503-test";
const PORT = 3199;
/** apt's deadline: its update watchdog (a fifth) gives a healthy update through nas 30 s. */
const TIMEOUT_SECONDS = 150;
const WATCHDOG = updateWatchdogSeconds(TIMEOUT_SECONDS);
const FAILED = "/debian/dists/bookworm-updates/InRelease";

/** The stand-in cache: one request per connection, the first for FAILED answered 503. */
const STANDIN = `
import socket, threading
failed = []
lock = threading.Lock()
body = b"<html><head><title>503 Error in cache data, please consult the apt-cacher.err logfile</title></head></html>"
def log(line):
    with open("${STATE}/requests", "a") as f:
        f.write(line + "\\n")
def handle(client):
    try:
        data = b""
        while b"\\r\\n\\r\\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return
            data += chunk
        head = data.split(b"\\r\\n\\r\\n")[0].decode("latin1").split("\\r\\n")
        with lock:
            fail = "${FAILED} " in head[0] and not failed
            if fail:
                failed.append(head[0])
        log(("503 " if fail else "ok ") + head[0])
        if fail:
            client.sendall(b"HTTP/1.1 503 Error in cache data, please consult the apt-cacher.err logfile\\r\\n"
                           b"Connection: close\\r\\nContent-Type: text/html\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
            return
        kept = [h for h in head if not h.lower().startswith("connection:")]
        upstream = socket.create_connection(("${labNas.fqdn}", 3142))
        upstream.sendall(("\\r\\n".join(kept) + "\\r\\nConnection: close\\r\\n\\r\\n").encode("latin1"))
        while True:
            chunk = upstream.recv(65536)
            if not chunk:
                break
            client.sendall(chunk)
        upstream.close()
    finally:
        client.close()
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", ${PORT}))
server.listen(64)
open("${STATE}/listening", "w").close()
while True:
    client, _ = server.accept()
    threading.Thread(target=handle, args=(client,), daemon=True).start()
`;

/** Where the fleet's apt.conf file is; the test puts its own there, and the host's back after. */
const CONF = aptProxyFile;
/**
 * In front of the real apt-get, first on sudo's path: logs each update's start, and its end with
 * its exit code. An update its watchdog stopped (the process group killed) has no end.
 */
const SHIM = `#!/bin/sh
case " $* " in
  *" update "*)
    echo start >> ${STATE}/updates
    /usr/bin/apt-get "$@"; status=$?
    echo "end $status" >> ${STATE}/updates
    exit $status ;;
esac
exec /usr/bin/apt-get "$@"
`;

const CLEANUP = [
  `rm -f /usr/local/sbin/apt-get`,
  `if [ -e ${STATE}/pid ]; then kill $(cat ${STATE}/pid) 2>/dev/null || true; fi`,
  `if [ -e ${STATE}/conf.saved ]; then mv ${STATE}/conf.saved ${CONF}; elif [ -e ${STATE}/conf.none ]; then rm -f ${CONF}; fi`,
  `rm -rf ${STATE}`,
].join("; ");

let lab: Lab;
let connection: HostConnection;
labHostFixture(HOST, CLEANUP, (current, deploy) => {
  lab = current;
  connection = deploy;
});

/** Starts the stand-in cache (its request log empty) and removes the package lists. */
async function startStandin(): Promise<void> {
  await goOnline(); // a lab left offline by an interrupted run
  await waitForAptCacheMode(lab, "online");
  await onHost(lab, HOST, CLEANUP); // what a failed test before this one left
  await onHost(
    lab,
    HOST,
    `set -e; mkdir -p ${STATE}
cat > ${STATE}/standin.py <<'STANDIN'
${STANDIN}STANDIN
setsid python3 ${STATE}/standin.py > ${STATE}/log 2>&1 < /dev/null &
echo $! > ${STATE}/pid
for i in $(seq 50); do [ -e ${STATE}/listening ] && break; sleep 0.1; done
[ -e ${STATE}/listening ]
rm -f /var/lib/apt/lists/*_Packages* /var/lib/apt/lists/*Release*`,
  );
}

/** The cache failed that index once, and apt asked for it again (and got it) afterwards. */
async function assertTheIndexAskedAgain(): Promise<void> {
  const requests = (await onHost(lab, HOST, `cat ${STATE}/requests`)).trim().split("\n");
  assert.deepEqual(
    requests.filter((r) => r.includes(`${FAILED} `)).map((r) => r.split(" ")[0]),
    ["503", "ok"],
    requests.join("\n"),
  );
}

describe(`lab: a package cache's 503 for an index on ${HOST}`, () => {
  it(`costs the fleet's install a retry of that index, not an update stopped by its watchdog (${WATCHDOG} s)`, async () => {
    await startStandin();
    await onHost(
      lab,
      HOST,
      `set -e; if dpkg-query -W -f='\${Status}' tree 2>/dev/null | grep -q 'ok installed'; then apt-get remove -y -q tree >/dev/null; fi
cat > /usr/local/sbin/apt-get <<'SHIM'
${SHIM}SHIM
chmod 0755 /usr/local/sbin/apt-get`,
    );
    const inputs = { ...aptInputs(connection, ["tree"], TIMEOUT_SECONDS), proxy: `http://127.0.0.1:${PORT}` };
    const { outs } = await aptPackagesProvider.create(inputs as never);
    assert.match(outs?.installed.tree ?? "", /^\d/, "tree is installed");
    await assertTheIndexAskedAgain();
    // Every update that started ended by itself: none hung until its watchdog stopped it.
    const updates = (await onHost(lab, HOST, `cat ${STATE}/updates`)).trim().split("\n");
    assert.ok(updates.length >= 2 && updates.length % 2 === 0, updates.join("\n"));
    for (let i = 0; i < updates.length; i += 2) {
      assert.equal(updates[i], "start", updates.join("\n"));
      assert.match(updates[i + 1], /^end \d+$/, updates.join("\n"));
    }
    assert.equal(updates.at(-1), "end 0", updates.join("\n"));
    await onHost(lab, HOST, CLEANUP);
  });

  it("does not hang the operator's own apt-get update, under the apt.conf file the fleet writes", async () => {
    await startStandin();
    // The fleet's file, as a fleet whose cache is the stand-in renders it.
    const fleet = { site: { nas: { aptProxy: `http://127.0.0.1:${PORT}` } } } as unknown as FleetModel;
    const file = aptFragment(fleet).files![0];
    assert.equal(file.path, CONF);
    await onHost(
      lab,
      HOST,
      `set -e; if [ -e ${CONF} ]; then cp -p ${CONF} ${STATE}/conf.saved; else : > ${STATE}/conf.none; fi
cat > ${CONF} <<'CONF'
${file.content}CONF`,
    );
    // As the runbook runs it: no option on the command line. A hang would end at 90 s, exit 124.
    const update = await lab.sshExec(HOST, "timeout 90 apt-get update -q");
    assert.equal(update.code, 0, update.stdout + update.stderr);
    await assertTheIndexAskedAgain();
    await onHost(lab, HOST, CLEANUP);
  });
});
