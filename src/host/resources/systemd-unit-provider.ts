/**
 * The dynamic provider behind {@link SystemdUnit}: reads the unit file and systemd's view of the
 * unit, and converges both with as few commands as possible (read, write, one systemctl script).
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { describeHost, HostConnection } from "../transport/connection";
import { countHostEvent } from "../transport/counters";
import { hostError } from "../transport/errors";
import {
  connectionCheckFailures,
  connectionDiff,
  containsUnknown,
  hostDiff,
  HostDiffResult,
  storedConnection,
} from "./provider-support";
import { removeFile, sha256Hex, writeFileAtomically } from "../transport/remote-path";
import {
  activeMatches,
  applyUnitPlan,
  dropInPath,
  enabledMatches,
  type ObservedUnit,
  planUnit,
  readUnit,
  removeUnit,
  unitFilePath,
  unitIsAbsent,
} from "./systemd-state";
import { Problem, textProblems } from "./validation";

/** What the provider receives. */
export interface SystemdUnitInputs {
  connection: HostConnection;
  /** Unit name with its suffix: "qdrant.service", "lyra-config-sync.timer". */
  name: string;
  /** Unit file text, or null for a unit its Debian package ships. */
  content: string | null;
  /** sha256 of `content` ("" when null), computed by the resource class. */
  sha256: string;
  /** Drop-in text (/etc/systemd/system/<name>.d/lyra-fleet.conf), if any. */
  dropIn?: string;
  /** sha256 of `dropIn` ("" when none). */
  dropInSha256: string;
  /** Enabled at boot. */
  enabled: boolean;
  /** Kept running (false: never started, restarted or stopped by the resource). */
  active: boolean;
  /** Strings whose change restarts the unit (hashes of the files it reads). */
  triggers: string[];
  /** Deadline for the unit to become active after a start or restart. */
  startTimeoutSeconds: number;
}

/** What state holds: after a read, what the host really has. */
export interface SystemdUnitOutputs extends Omit<SystemdUnitInputs, "content" | "dropIn"> {
  /** The unit file under /etc/systemd/system is ours (content was not null). */
  ownsUnitFile: boolean;
  /** systemd's ActiveState, SubState and UnitFileState when last seen. */
  activeState: string;
  subState: string;
  unitFileState: string;
  /** The unit's files changed on disk since systemd loaded them. */
  needsDaemonReload: boolean;
}

const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]{1,240}\.(service|timer|socket|path|target|mount)$/;

/** Problems with a SystemdUnit's inputs (unknown values are skipped). */
export function systemdUnitProblems(inputs: Partial<Record<keyof SystemdUnitInputs, unknown>>): Problem[] {
  const problems: Problem[] = [];
  const known = (value: unknown) => value !== undefined && !containsUnknown(value);
  if (known(inputs.name) && (typeof inputs.name !== "string" || !UNIT_NAME.test(inputs.name))) {
    problems.push({
      property: "name",
      reason: `must be a unit name with its type, such as "qdrant.service" or "backup.timer", got ${JSON.stringify(inputs.name)}`,
    });
  }
  problems.push(...textProblems("content", inputs.content, true), ...textProblems("dropIn", inputs.dropIn));
  for (const key of ["enabled", "active"] as const) {
    if (known(inputs[key]) && typeof inputs[key] !== "boolean")
      problems.push({ property: key, reason: "must be true or false" });
  }
  if (
    known(inputs.triggers) &&
    !(Array.isArray(inputs.triggers) && inputs.triggers.every((t) => typeof t === "string"))
  ) {
    problems.push({ property: "triggers", reason: "must be a list of strings" });
  }
  const timeout = inputs.startTimeoutSeconds;
  if (known(timeout) && !(Number.isInteger(timeout) && (timeout as number) > 0 && (timeout as number) <= 3600)) {
    problems.push({
      property: "startTimeoutSeconds",
      reason: `must be a whole number of seconds from 1 to 3600, got ${JSON.stringify(timeout)}`,
    });
  }
  return problems;
}

/** Defaults for what the caller left out. */
export const SYSTEMD_UNIT_DEFAULTS = { enabled: true, active: true, startTimeoutSeconds: 60 };

function withDefaults(inputs: SystemdUnitInputs): SystemdUnitInputs {
  return {
    ...inputs,
    content: inputs.content ?? null,
    enabled: inputs.enabled ?? SYSTEMD_UNIT_DEFAULTS.enabled,
    active: inputs.active ?? SYSTEMD_UNIT_DEFAULTS.active,
    triggers: inputs.triggers ?? [],
    startTimeoutSeconds: inputs.startTimeoutSeconds ?? SYSTEMD_UNIT_DEFAULTS.startTimeoutSeconds,
  };
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/** Unit files are root's and world-readable, as systemd expects. */
export const UNIT_FILE_METADATA = { mode: "0644", owner: "root", group: "root" };

/** Converges the unit; `previousTriggers` is undefined on create (nothing to restart for). */
async function converge(
  rawInputs: SystemdUnitInputs,
  previousTriggers: string[] | undefined,
): Promise<SystemdUnitOutputs> {
  const inputs = withDefaults(rawInputs);
  const { connection, name, content, dropIn } = inputs;
  const secrets = [content ?? undefined, dropIn];
  const observed = await readUnit(connection, name);
  if (content === null && observed.loadState === "not-found") {
    throw hostError(
      connection.host,
      "state",
      `${describeHost(connection)}: ${name} does not exist on the host and no unit file was given; is its package installed?`,
    );
  }
  const triggersChanged = previousTriggers !== undefined && !sameList(previousTriggers, inputs.triggers);
  const desiredSha256 = {
    unitFile: content === null ? "" : sha256Hex(content),
    dropIn: dropIn === undefined ? "" : sha256Hex(dropIn),
  };
  const plan = planUnit(observed, inputs, desiredSha256, triggersChanged);
  if (plan.writeUnitFile) await writeFileAtomically(connection, unitFilePath(name), content!, UNIT_FILE_METADATA);
  if (plan.removeUnitFile) await removeFile(connection, unitFilePath(name));
  if (plan.writeDropIn) await writeFileAtomically(connection, dropInPath(name), dropIn!, UNIT_FILE_METADATA);
  if (plan.removeDropIn) await removeFile(connection, dropInPath(name));
  const { retried } = await applyUnitPlan(connection, name, plan, inputs.startTimeoutSeconds, secrets);
  if (plan.startAction === "restart") countHostEvent(connection.host, "unitRestarts");
  if (plan.startAction === "start") countHostEvent(connection.host, "unitStarts");
  if (retried) countHostEvent(connection.host, "unitStartRetries");
  const running = plan.startAction !== "none" || activeMatches(true, observed.activeState);
  return {
    connection,
    name,
    ownsUnitFile: content !== null,
    sha256: desiredSha256.unitFile,
    dropInSha256: desiredSha256.dropIn,
    enabled: inputs.enabled,
    active: inputs.active,
    triggers: inputs.triggers,
    startTimeoutSeconds: inputs.startTimeoutSeconds,
    activeState: running ? "active" : observed.activeState,
    subState: running ? "running" : observed.subState,
    unitFileState: plan.enable ? "enabled" : plan.disable ? "disabled" : observed.unitFileState,
    needsDaemonReload: false,
  };
}

/** What state holds for a unit as it was observed; undefined when it is absent. */
export function observedUnitOutputs(props: SystemdUnitOutputs, observed: ObservedUnit): SystemdUnitOutputs | undefined {
  if (unitIsAbsent(observed, props.ownsUnitFile)) return undefined;
  const fileSha256 = (state: typeof observed.unitFile) => (state.exists && state.type === "file" ? state.sha256 : "");
  return {
    ...props,
    sha256: props.ownsUnitFile ? fileSha256(observed.unitFile) : "",
    dropInSha256: fileSha256(observed.dropIn),
    // Reported relative to what was wanted, so "static" or a timer-run oneshot never flaps.
    enabled: enabledMatches(props.enabled, observed.unitFileState) ? props.enabled : !props.enabled,
    active: activeMatches(props.active, observed.activeState) ? props.active : !props.active,
    activeState: observed.activeState,
    subState: observed.subState,
    unitFileState: observed.unitFileState,
    needsDaemonReload: observed.needsDaemonReload,
  };
}

/** The SystemdUnit provider. Exported for tests, which drive it the way the engine does. */
export const systemdUnitProvider = {
  async check(_olds: SystemdUnitInputs, news: SystemdUnitInputs): Promise<dynamic.CheckResult<SystemdUnitInputs>> {
    const failures = [...connectionCheckFailures(news.connection), ...systemdUnitProblems(news)];
    return { inputs: withDefaults(news), failures };
  },

  async diff(_id: string, olds: SystemdUnitOutputs, rawNews: SystemdUnitInputs): Promise<HostDiffResult> {
    const news = withDefaults(rawNews);
    const { replaces, differing } = connectionDiff(olds.connection, news.connection);
    if (news.name !== olds.name) (containsUnknown(news.name) ? differing : replaces).push("name");
    if ((news.content !== null) !== olds.ownsUnitFile || news.sha256 !== olds.sha256) differing.push("content");
    if (news.dropInSha256 !== olds.dropInSha256) differing.push("dropIn");
    for (const key of ["enabled", "active", "startTimeoutSeconds"] as const) {
      if (news[key] !== olds[key]) differing.push(key);
    }
    if (!sameList(news.triggers, olds.triggers)) differing.push("triggers");
    if (olds.needsDaemonReload) differing.push("needsDaemonReload");
    // Another unit name: stop the old one first, it may hold the port the new one needs.
    return { ...hostDiff(replaces, differing), deleteBeforeReplace: replaces.length > 0 };
  },

  async create(inputs: SystemdUnitInputs): Promise<dynamic.CreateResult<SystemdUnitOutputs>> {
    return { id: `${inputs.connection.host}:${inputs.name}`, outs: await converge(inputs, undefined) };
  },

  async read(id: string, props: SystemdUnitOutputs): Promise<dynamic.ReadResult<SystemdUnitOutputs>> {
    const connection = storedConnection("SystemdUnit", id, props);
    const outputs = observedUnitOutputs({ ...props, connection }, await readUnit(connection, props.name));
    return outputs ? { id, props: outputs } : { id: "", props: {} as SystemdUnitOutputs };
  },

  async update(
    _id: string,
    olds: SystemdUnitOutputs,
    news: SystemdUnitInputs,
  ): Promise<dynamic.UpdateResult<SystemdUnitOutputs>> {
    return { outs: await converge(news, olds.triggers ?? []) };
  },

  async delete(id: string, props: SystemdUnitOutputs): Promise<void> {
    await removeUnit(storedConnection("SystemdUnit", id, props), props.name, props.ownsUnitFile);
  },
};
