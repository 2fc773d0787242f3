/**
 * Benchmark (not a test): applying 50 files and 10 units to one lab host through the host
 * providers, driven like `pulumi up` with refresh drives them. Reports wall time and SSH round
 * trips (remote commands) for a first apply, a no-op apply, and an apply after one file changed;
 * each at parallelism 1 and at 10 (Pulumi runs independent resources in parallel).
 *
 *   node --import tsx bench/host-apply.ts [host]      (default host: vega)
 */
import type { HostConnection } from "../src/host/connection";
import { hostCounters, resetHostCounters } from "../src/host/counters";
import { fileProvider } from "../src/host/file-provider";
import { closeAllHostConnections } from "../src/host/ssh";
import { systemdUnitProvider } from "../src/host/systemd-unit-provider";
import { applyLikeEngine, ApplyAction, FullProvider, ResourceState } from "../test/host/support/engine";
import { fileInputs, unitInputs } from "../test/host/support/inputs";
import { labConnection } from "../test/host/support/lab";
import { ensureLab } from "../test/lab/lab";

const FILES = 50;
const UNITS = 10;
const FILES_PER_UNIT = FILES / UNITS;
const PREFIX = "lyra-host-bench";

interface BenchResource {
    provider: FullProvider;
    desired: () => Record<string, unknown>;
    state?: ResourceState;
}

/** Runs `work` over `items` with at most `parallelism` at once. */
async function pool<T>(items: T[], parallelism: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const workers = Array.from({ length: Math.min(parallelism, items.length) }, async () => {
        while (next < items.length) await work(items[next++]);
    });
    await Promise.all(workers);
}

function declare(connection: HostConnection, version: () => number): { files: BenchResource[]; units: BenchResource[] } {
    const files: BenchResource[] = Array.from({ length: FILES }, (_, i) => ({
        provider: fileProvider as FullProvider,
        desired: () => fileInputs(connection, `/etc/${PREFIX}/unit-${Math.floor(i / FILES_PER_UNIT)}/file-${i}.conf`, `key${i} = ${i === 0 ? version() : 1}\n`),
    }));
    const units: BenchResource[] = Array.from({ length: UNITS }, (_, u) => ({
        provider: systemdUnitProvider as FullProvider,
        desired: () =>
            unitInputs(
                connection,
                `${PREFIX}-${u}.service`,
                `[Unit]\nDescription=lyra-host bench ${u}\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n`,
                { triggers: files.slice(u * FILES_PER_UNIT, (u + 1) * FILES_PER_UNIT).map((f) => String(f.state?.outs.sha256)) },
            ),
    }));
    return { files, units };
}

/** One apply: files first, then the units that depend on them (the engine's order). */
async function apply(stack: { files: BenchResource[]; units: BenchResource[] }, parallelism: number) {
    const actions: Record<ApplyAction, number> = { create: 0, recreate: 0, update: 0, replace: 0, same: 0 };
    resetHostCounters();
    const started = process.hrtime.bigint();
    for (const group of [stack.files, stack.units]) {
        await pool(group, parallelism, async (resource) => {
            const outcome = await applyLikeEngine(resource.provider, resource.state, resource.desired());
            resource.state = outcome.state;
            actions[outcome.action]++;
        });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const counters = hostCounters();
    return { seconds, counters, actions };
}

async function main(hostName: string): Promise<void> {
    const lab = await ensureLab();
    const connection = labConnection(lab, hostName);
    const cleanup = `for u in $(cd /etc/systemd/system && ls ${PREFIX}-*.service 2>/dev/null); do systemctl disable --now "$u"; done
rm -rf /etc/${PREFIX} /etc/systemd/system/${PREFIX}-*; systemctl daemon-reload`;
    console.log(`host-apply bench: ${FILES} files + ${UNITS} units on ${hostName} (${connection.address}), Node ${process.version}`);
    console.log("phase                      parallel  wall s  round trips  writes  restarts  starts  connections  actions");
    for (const parallelism of [1, 10]) {
        await lab.sshExec(hostName, cleanup);
        let version = 1;
        const stack = declare(connection, () => version);
        const phases: [string, () => Promise<Awaited<ReturnType<typeof apply>>>][] = [
            ["first apply", () => apply(stack, parallelism)],
            ["no-op apply", () => apply(stack, parallelism)],
            ["one file changed", () => ((version = 2), apply(stack, parallelism))],
            ["no-op apply again", () => apply(stack, parallelism)],
        ];
        for (const [phase, run] of phases) {
            const { seconds, counters, actions } = await run();
            const summary = Object.entries(actions)
                .filter(([, n]) => n > 0)
                .map(([action, n]) => `${action} ${n}`)
                .join(", ");
            console.log(
                `${phase.padEnd(26)} ${String(parallelism).padStart(8)}  ${seconds.toFixed(2).padStart(6)}  ${String(counters.remoteCommands).padStart(11)}  ` +
                    `${String(counters.remoteWrites).padStart(6)}  ${String(counters.unitRestarts).padStart(8)}  ${String(counters.unitStarts).padStart(6)}  ` +
                    `${String(counters.connectionsOpened).padStart(11)}  ${summary}`,
            );
        }
        await closeAllHostConnections();
    }
    await lab.sshExec(hostName, cleanup);
}

main(process.argv[2] ?? "vega").catch(async (error) => {
    console.error(error instanceof Error ? error.message : error);
    await closeAllHostConnections();
    process.exit(1);
});
