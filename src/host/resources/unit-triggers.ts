/**
 * When a unit of a HostState is due a restart because of what it restarts on. A unit records, once
 * it is (re)started, the writeId of each file and the build of each artifact it restarts on
 * (`triggers`, in the order of its `restartOn`). It is due a restart when one of those it still
 * restarts on was written or installed since: not when the program only changed the list (a path
 * dropped from it, the same paths in another order). The first `up` after ef1b763 took mkdocs'
 * pages off its list and restarted mkdocs.service on the docs host with no file written, because
 * the two lists were compared as wholes.
 */
import type { UnitState } from "./host-state-items";

/**
 * The triggers recorded for a unit whose restart was due but not done (the apply stopped before
 * it): they match no file's writeIds, so the next apply restarts it, once.
 */
export const RESTART_PENDING = ["restart pending"];

/** What a unit's triggers are now: each path's writeId or build ("" for one not written or installed). */
export const currentTriggers = (restartOn: readonly string[], written: Record<string, string>): string[] =>
  restartOn.map((path) => written[path] ?? "");

/**
 * Whether `recorded` (a unit's state as the last apply left it) is due a restart for what it now
 * restarts on (`restartOn`), given every path's writeId or build now (`written`). A path it did not
 * restart on before counts as written: it is new to the unit, or its file is. A state whose triggers
 * do not pair up with its `restartOn` (restart pending, a unit never started, a state from before
 * `restartOn` was recorded) is compared as a whole, as it always was.
 */
export function triggersDue(
  recorded: Pick<UnitState, "triggers" | "restartOn">,
  restartOn: readonly string[],
  written: Record<string, string>,
): boolean {
  const now = currentTriggers(restartOn, written);
  const before = recorded.triggers ?? [];
  const paths = recorded.restartOn;
  if (!Array.isArray(paths) || paths.length !== before.length || sameList(before, RESTART_PENDING))
    return !sameList(before, now);
  const recordedFor = new Map(paths.map((path, i) => [path, before[i]]));
  return restartOn.some((path, i) => recordedFor.get(path) !== now[i]);
}

/**
 * Whether an apply restarts a unit for its triggers (if it is running). `recorded`: its state as the
 * last apply left it, or undefined when there is none to go by (never recorded, or gone from the
 * host when the apply began): then only what this apply writes counts (`writtenNow`: files written,
 * artifacts installed). A package starts its service on install, with the package's own config:
 * on a re-flashed host the fleet's config for it is written after, and must be read (dockerd without
 * daemon.json's insecure registry could not pull the broker's image; chrony kept Debian's pool).
 */
export function restartTriggered(
  recorded: Pick<UnitState, "triggers" | "restartOn"> | undefined,
  restartOn: readonly string[],
  written: Record<string, string>,
  writtenNow: ReadonlySet<string>,
): boolean {
  if (recorded === undefined) return restartOn.some((path) => writtenNow.has(path));
  return triggersDue(recorded, restartOn, written);
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((value, i) => value === b[i]);
