/**
 * What each bench records in its results file (bench/results/<bench>.json), one schema per bench:
 * the contract between the benches that write them and bench/report.ts that reads them. Figures
 * are numbers (zod's number refuses NaN and Infinity), in the unit their name ends with.
 */
import { z } from "zod";
import type { HostCounters } from "../../src/host/transport/counters";

const count = z.int().nonnegative();
/** A duration, in the unit its field's name ends with. */
const duration = z.number().nonnegative();

/**
 * What the host layer counted on one host (src/host/transport/counters.ts). `satisfies`: a counter
 * added to HostCounters stops this compiling until it is added here too.
 */
export const hostCounters = z.object({
  connectionsOpened: count,
  remoteCommands: count,
  remoteWrites: count,
  unitRestarts: count,
  unitStarts: count,
  unitStartRetries: count,
  aptInstalls: count,
}) satisfies z.ZodType<HostCounters>;

/** Keyed by host name. */
const perHost = z.record(z.string(), hostCounters);

const programMeasured = z.object({
  status: z.literal("measured"),
  /** Which way the program was run (the bench's --rows names): cli is what `pulumi up` runs. */
  how: z.enum(["cli", "cli-ts-node", "mocks", "floor"]),
  /** How the bench labels it, with the loader: "cli --require tsx/cjs". */
  label: z.string(),
  mirrors: count,
  resources: count,
  /** Medians over the runs (each figure its own median). */
  wallSeconds: duration,
  cpuSeconds: duration,
  peakRssMb: z.number().nonnegative(),
  /** Every run's wall time, in the order run (absent from results recorded from a single run). */
  wallSecondsEach: z.array(duration).min(1).optional(),
});

export const rowSchemas = {
  // Discriminated by `status`, so a bad row's error names its field, not just "invalid input".
  "program-scale": z.discriminatedUnion("status", [
    programMeasured,
    // A way that failed at a size: what it said, so the report shows the failure, not a gap.
    programMeasured
      .pick({ how: true, label: true, mirrors: true })
      .extend({ status: z.literal("failed"), error: z.string() }),
  ]),
  "cli-preview": z.discriminatedUnion("status", [
    z.object({
      status: z.literal("measured"),
      mirrors: count,
      /** What the preview would create, the stack's own included. */
      resources: count,
      /** The whole `pulumi preview`: medians over the runs (each figure its own median). */
      wallSeconds: duration,
      /** The program process: node's start to its main module run (every resource declared). */
      programEvaluatedSeconds: duration,
      /** ... to its exit (every registration answered by the engine). */
      programSeconds: duration,
      programCpuSeconds: duration,
      programPeakRssMb: z.number().nonnegative(),
      /**
       * The whole command's CPU, on every core: the CLI and its engine, the language host, the
       * program and the dynamic provider (bench/support/children-cpu.ts). Absent from results
       * recorded before it, here and in the floor.
       */
      cpuSeconds: duration.optional(),
      wallSecondsEach: z.array(duration).min(1),
      /**
       * The SDK floor under the same CLI (bench/support/cli-floor.ts): as many registrations of
       * resources that do nothing, medians over as many runs. Absent from results recorded before it.
       */
      floor: z
        .object({
          resources: count,
          wallSeconds: duration,
          programSeconds: duration,
          programCpuSeconds: duration,
          programPeakRssMb: z.number().nonnegative(),
          cpuSeconds: duration.optional(),
        })
        .optional(),
    }),
    z.object({ status: z.literal("failed"), mirrors: count, error: z.string() }),
  ]),
  "provider-strings": z.object({
    mirrors: count,
    /** Every host's items as JSON text, summed (UTF-8). */
    itemsMb: z.number().nonnegative(),
    /** Whose UTF-8 code the SDK's messages used. */
    strings: z.enum(["google-protobuf", "native (sdk preload)"]),
    /** Every host's CheckRequest read (olds and news), and its CheckResponse written: medians. */
    readMs: duration,
    writeMs: duration,
  }),
  "lab-converge": z.object({
    phase: z.enum(["first", "no-op", "repair"]),
    command: z.enum(["preview", "up"]),
    wallSeconds: duration,
    /** Summed over the hosts. */
    commands: count,
    writes: count,
    restarts: count,
    /** Time some host was being waited on (SSH and the host's own work), overlaps once. */
    hostSeconds: duration,
    /** The longest single remote command. */
    maxCommandSeconds: duration,
    perHost,
  }),
  "host-apply": z.object({
    phase: z.enum(["first apply", "no-op apply", "one file changed", "no-op apply again"]),
    files: count,
    units: count,
    wallSeconds: duration,
    roundTrips: count,
    writes: count,
    restarts: count,
    starts: count,
    connections: count,
    /** create, same, or update (N items). */
    action: z.string(),
  }),
  "host-read": z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("host"),
      host: z.string(),
      paths: count,
      units: count,
      /** Medians: a fresh connection and login running `true`; `true` on an open one; the whole-host read. */
      loginMs: duration,
      channelMs: duration,
      readMs: duration,
    }),
    /** Every host read at once on fresh connections, as a refresh does: each try's time. */
    z.object({ kind: z.literal("together"), hosts: z.array(z.string()).min(1), togetherMs: z.array(duration).min(1) }),
  ]),
  "lab-scaling": z.object({
    mirrors: count,
    phase: z.enum(["first", "no-op", "change"]),
    wallMs: duration,
    /** Node start to resources declared, for the preview's and the update's program runs. */
    programMs: duration,
    /** Some remote command in flight, the hosts' own work included. */
    sshMs: duration,
    /** The rest of the wall time. */
    engineMs: duration,
    counters: perHost,
    /**
     * The phase's slowest remote commands, slowest first: where the hosts' time went (absent from
     * results recorded before the host timing log named each command's purpose).
     */
    slowest: z.array(z.object({ host: z.string(), purpose: z.string(), ms: duration })).optional(),
    /**
     * Each host's remote commands, from the phase's start: the first one's start, the last one's
     * end, and the time some command was in flight (absent from results recorded before them).
     */
    hostSpans: z.record(z.string(), z.object({ startMs: duration, endMs: duration, busyMs: duration })).optional(),
    /** PSS of every process of each lab host, after the phase. */
    hostMemoryMb: z.record(z.string(), z.number().nonnegative()),
    /** MemTotal - MemAvailable, after the phase. */
    machineUsedMb: z.number().nonnegative(),
  }),
  "ansible-peer": z.object({
    tool: z.enum(["ansible", "lyra-fleet"]),
    phase: z.enum(["first", "no-op", "one-file"]),
    ms: duration,
    sshCommands: count,
    /** Ansible: tasks that reported a change. lyra-fleet: commands that wrote to the host. */
    changes: count,
    /** What the checks after the phase found wrong; empty when vega was as declared. */
    problems: z.array(z.string()),
  }),
};

export type BenchName = keyof typeof rowSchemas;
export const benchNames = Object.keys(rowSchemas) as BenchName[];
export type Row<B extends BenchName> = z.infer<(typeof rowSchemas)[B]>;
