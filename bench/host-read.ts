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
import type { Row } from "./support/result-rows";
import { median } from "./support/median";
import { recordResults } from "./support/results";

const hosts = ["lyra", "vega", "mirror-1"];

async function ms(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The median of `times` timings of `run`, in milliseconds. */
async function medianMs(times: number, run: () => Promise<unknown>): Promise<number> {
  const taken: number[] = [];
  for (let i = 0; i < times; i++) taken.push(await ms(run));
  return median(taken);
}

async function main(): Promise<void> {
  const started = new Date();
  const lab = await ensureLab();
  const requests = new Map<string, SnapshotRequest>();
  for (const plan of planFleet(loadStackFile(stackFilePath("lab"))))
    requests.set(plan.host, {
      packages: plan.packages,
      paths: [...plan.directories.map((d) => d.path), ...plan.files.map((f) => f.path)],
      units: plan.units.map((u) => u.name),
      artifacts: plan.artifacts.map((a) => a.installDir),
    });
  const perHost: Extract<Row<"host-read">, { kind: "host" }>[] = [];
  for (const host of hosts) {
    const connection = labConnection(lab, host);
    const request = requests.get(host)!;
    const run = (script: string) => runRemoteChecked(connection, script, { purpose: "bench" });
    const loginMs = await medianMs(5, async () => {
      await closeAllHostConnections();
      await run("true");
    });
    const channelMs = await medianMs(7, () => run("true"));
    const readMs = await medianMs(7, () => readHostSnapshot(connection, request));
    perHost.push({
      kind: "host",
      host,
      paths: request.paths.length,
      units: request.units.length,
      loginMs,
      channelMs,
      readMs,
    });
  }
  const togetherMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    await closeAllHostConnections();
    togetherMs.push(
      await ms(() => Promise.all(hosts.map((host) => readHostSnapshot(labConnection(lab, host), requests.get(host)!)))),
    );
  }
  await closeAllHostConnections();
  console.log(`host-read bench: the lab stack's items on ${hosts.join(", ")}, Node ${process.version} (ms)`);
  console.log("host      files+dirs  units  login+true  true  read (open)");
  for (const r of perHost)
    console.log(
      [
        r.host.padEnd(8),
        String(r.paths).padStart(10),
        String(r.units).padStart(6),
        r.loginMs.toFixed(0).padStart(11),
        r.channelMs.toFixed(0).padStart(5),
        r.readMs.toFixed(0).padStart(12),
      ].join("  "),
    );
  console.log(`three hosts read at once on fresh connections: ${togetherMs.map((t) => t.toFixed(0)).join(", ")} ms`);
  const what = `one lab host's whole read (the lab stack's items) on ${hosts.join(", ")}: login, one channel, the read (medians, ms), and the hosts read at once`;
  console.log(
    `results: ${recordResults("host-read", what, started, [...perHost, { kind: "together", hosts, togetherMs }])}`,
  );
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
