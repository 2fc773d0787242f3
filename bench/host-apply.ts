/**
 * Benchmark (not a test): one host's state (50 files and 10 units, 5 files restarting each unit)
 * applied to a lab host through the HostState provider the fleet uses, driven as `pulumi up` with
 * refresh drives it (read, diff, then create or update). Reports wall time, SSH round trips
 * (remote commands), writes, restarts and starts for a first apply, a no-op apply, an apply after
 * one file changed, and a no-op again.
 *
 *   node --import tsx bench/host-apply.ts [host]      (default host: vega)
 */
import type { HostConnection } from "../src/host/transport/connection";
import { hostCounters, resetHostCounters } from "../src/host/transport/counters";
import {
  hostStateProvider,
  type HostStateInputs,
  type HostStateOutputs,
} from "../src/host/resources/host-state-provider";
import { closeAllHostConnections } from "../src/host/transport/ssh";
import { labConnection } from "../test/host/support/lab";
import type { Row } from "./support/result-rows";
import { recordResults } from "./support/results";
import { ensureLab } from "../test/lab/lab";

const FILES = 50;
const UNITS = 10;
const FILES_PER_UNIT = FILES / UNITS;
const PREFIX = "lyra-host-bench";
const meta = { mode: "0644", owner: "root", group: "root" };

function declare(connection: HostConnection, version: number): HostStateInputs {
  const dirOf = (u: number) => `/etc/${PREFIX}/unit-${u}`;
  const fileOf = (i: number) => `${dirOf(Math.floor(i / FILES_PER_UNIT))}/file-${i}.conf`;
  const unit = (u: number) => ({
    content: `[Unit]\nDescription=lyra-host bench ${u}\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n`,
    enabled: true,
    active: true,
    after: [],
    restartOn: Array.from({ length: FILES_PER_UNIT }, (_, k) => fileOf(u * FILES_PER_UNIT + k)),
  });
  return {
    connection,
    packages: [],
    directories: Object.fromEntries(
      [`/etc/${PREFIX}`, ...Array.from({ length: UNITS }, (_, u) => dirOf(u))].map((d) => [
        d,
        { ...meta, mode: "0755" },
      ]),
    ),
    files: Object.fromEntries(
      Array.from({ length: FILES }, (_, i) => [
        fileOf(i),
        { content: `key${i} = ${i === 0 ? version : 1}\n`, ...meta },
      ]),
    ),
    secretFiles: {},
    artifacts: {},
    units: Object.fromEntries(Array.from({ length: UNITS }, (_, u) => [`${PREFIX}-${u}.service`, unit(u)])),
  };
}

/** One `pulumi up` of the resource: refresh, diff, then create or update. */
async function apply(id: string, state: HostStateOutputs | undefined, inputs: HostStateInputs) {
  resetHostCounters();
  const started = process.hrtime.bigint();
  let action = "create";
  if (!state) state = (await hostStateProvider.create(inputs)).outs!;
  else {
    const read = (await hostStateProvider.read(id, state)).props!;
    const diff = await hostStateProvider.diff(id, read, inputs);
    action = diff.changes ? `update (${diff.differing.length} items)` : "same";
    state = diff.changes ? (await hostStateProvider.update(id, read, inputs)).outs! : read;
  }
  return { state, action, seconds: Number(process.hrtime.bigint() - started) / 1e9, counters: hostCounters() };
}

async function main(hostName: string): Promise<void> {
  const started = new Date();
  const lab = await ensureLab();
  const connection = labConnection(lab, hostName);
  const id = `${hostName}:state`;
  const cleanup = `for u in $(cd /etc/systemd/system && ls ${PREFIX}-*.service 2>/dev/null); do systemctl disable --now "$u"; done
rm -rf /etc/${PREFIX} /etc/systemd/system/${PREFIX}-*; systemctl daemon-reload`;
  await lab.sshExec(hostName, cleanup);
  console.log(
    `host-apply bench: one HostState of ${FILES} files + ${UNITS} units on ${hostName} (${connection.address}), Node ${process.version}`,
  );
  console.log("phase               wall s  round trips  writes  restarts  starts  connections  action");
  const rows: Row<"host-apply">[] = [];
  let state: HostStateOutputs | undefined;
  for (const [phase, version] of [
    ["first apply", 1],
    ["no-op apply", 1],
    ["one file changed", 2],
    ["no-op apply again", 2],
  ] as const) {
    const result = await apply(id, state, declare(connection, version));
    state = result.state;
    const c = result.counters;
    rows.push({
      phase,
      files: FILES,
      units: UNITS,
      wallSeconds: result.seconds,
      roundTrips: c.remoteCommands,
      writes: c.remoteWrites,
      restarts: c.unitRestarts,
      starts: c.unitStarts,
      connections: c.connectionsOpened,
      action: result.action,
    });
    console.log(
      `${phase.padEnd(18)} ${result.seconds.toFixed(2).padStart(6)}  ${String(c.remoteCommands).padStart(11)}  ${String(c.remoteWrites).padStart(6)}  ` +
        `${String(c.unitRestarts).padStart(8)}  ${String(c.unitStarts).padStart(6)}  ${String(c.connectionsOpened).padStart(11)}  ${result.action}`,
    );
  }
  await closeAllHostConnections();
  await lab.sshExec(hostName, cleanup);
  const what = `one HostState of ${FILES} files and ${UNITS} units applied to lab host ${hostName} through the provider, as pulumi up with refresh drives it`;
  console.log(`results: ${recordResults("host-apply", what, started, rows)}`);
}

main(process.argv[2] ?? "vega").catch(async (error) => {
  console.error(error instanceof Error ? error.message : error);
  await closeAllHostConnections();
  process.exit(1);
});
