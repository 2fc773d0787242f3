/**
 * Benchmark (not a test): where one host read's time goes, on the lab hosts, for the items the lab
 * stack declares (stacks/Pulumi.lab.yaml). Per host, medians in milliseconds of: a fresh SSH
 * connection and login running `true`; `true` on an open connection (one channel's round trip);
 * the whole-host read (src/host/resources/host-snapshot.ts) on an open connection. Then the three
 * hosts read at once on fresh connections, as a refresh of `pulumi up` does.
 *
 * The lab exposes each sshd through systemd-socket-proxyd, which does not set TCP_NODELAY: a
 * small message sent right after another waits for the host's delayed ACK (about 40 ms) there,
 * which a real network to the hosts does not add.
 *
 *   node --import tsx bench/host-read.ts
 */
import { loadStackFile, stackFilePath } from "../src/model/load";
import { planFleet } from "../src/render";
import { readHostSnapshot, type SnapshotRequest } from "../src/host/resources/host-snapshot";
import { closeAllHostConnections, runRemoteChecked } from "../src/host/transport/ssh";
import { labConnection } from "../test/host/support/lab";
import { ensureLab } from "../test/lab/lab";

const hosts = ["lyra", "vega", "mirror-1"];

async function ms(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function median(times: number, run: () => Promise<unknown>): Promise<number> {
  const taken: number[] = [];
  for (let i = 0; i < times; i++) taken.push(await ms(run));
  return taken.sort((a, b) => a - b)[Math.floor(times / 2)];
}

async function main(): Promise<void> {
  const lab = await ensureLab();
  const requests = new Map<string, SnapshotRequest>();
  for (const plan of planFleet(loadStackFile(stackFilePath("lab"))))
    requests.set(plan.host, {
      packages: plan.packages,
      paths: [...plan.directories.map((d) => d.path), ...plan.files.map((f) => f.path)],
      units: plan.units.map((u) => u.name),
      artifacts: plan.artifacts.map((a) => a.installDir),
    });
  const rows = ["host      files+dirs  units  login+true  true  read (open)"];
  for (const host of hosts) {
    const connection = labConnection(lab, host);
    const request = requests.get(host)!;
    const run = (script: string) => runRemoteChecked(connection, script, { purpose: "bench" });
    const login = await median(5, async () => {
      await closeAllHostConnections();
      await run("true");
    });
    const channel = await median(7, () => run("true"));
    const read = await median(7, () => readHostSnapshot(connection, request));
    rows.push(
      [
        host.padEnd(8),
        String(request.paths.length).padStart(10),
        String(request.units.length).padStart(6),
        login.toFixed(0).padStart(11),
        channel.toFixed(0).padStart(5),
        read.toFixed(0).padStart(12),
      ].join("  "),
    );
  }
  const together: string[] = [];
  for (let i = 0; i < 3; i++) {
    await closeAllHostConnections();
    together.push(
      (
        await ms(() =>
          Promise.all(hosts.map((host) => readHostSnapshot(labConnection(lab, host), requests.get(host)!))),
        )
      ).toFixed(0),
    );
  }
  await closeAllHostConnections();
  console.log(`host-read bench: the lab stack's items on ${hosts.join(", ")}, Node ${process.version} (ms)`);
  console.log(rows.join("\n"));
  console.log(`three hosts read at once on fresh connections: ${together.join(", ")} ms`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
