/**
 * Helpers shared by the dynamic providers (the code that runs in Pulumi's provider process).
 * Nothing here imports @pulumi/pulumi at run time: the providers' closures are serialized, and
 * what they capture should stay small.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { connectionProblems, HostConnection } from "../transport/connection";
import { hostError } from "../transport/errors";

/**
 * The value Pulumi puts in place of an input that is not known yet (during preview). Same string
 * as `pulumi.runtime.unknownValue`, repeated here so the providers need not load the SDK.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True if the value, or anything inside it, is not known yet. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** A diff result that also says which properties differ (the engine ignores the extra field). */
export interface HostDiffResult extends dynamic.DiffResult {
  /** Properties whose desired value differs from what the host has, e.g. ["sha256", "mode"]. */
  readonly differing: string[];
}

/** Builds a diff result: any replacing or differing property means changes. */
export function hostDiff(replaces: string[], differing: string[]): HostDiffResult {
  return { changes: replaces.length + differing.length > 0, replaces, differing, deleteBeforeReplace: false };
}

/** The fields of a connection that say where to connect and how, beside the host's name. */
const CONNECTION_DETAILS = ["address", "port", "user", "hostKey", "privateKey", "connectTimeoutMs"] as const;

/**
 * Compares an old and a new connection. Another fleet host means another resource (replace);
 * another address, user or pinned key for the same host means an update that only records the
 * new connection (the host's files do not change because the way to reach it did).
 */
export function connectionChange(
  olds: HostConnection | undefined,
  news: HostConnection,
): "replace" | "update" | "same" {
  if (containsUnknown(news)) return "update";
  if (!olds) return "update";
  if (olds.host !== news.host) return "replace";
  return CONNECTION_DETAILS.some((key) => olds[key] !== news[key]) ? "update" : "same";
}

/**
 * Where every provider's diff starts: the properties that force a replacement and those that only
 * differ, each holding "connection" when the connection changed that way.
 */
export function connectionDiff(
  olds: HostConnection | undefined,
  news: HostConnection,
): { replaces: string[]; differing: string[] } {
  const change = connectionChange(olds, news);
  return { replaces: change === "replace" ? ["connection"] : [], differing: change === "update" ? ["connection"] : [] };
}

/** Check failures for a connection (skipped while it is unknown). */
export function connectionCheckFailures(connection: unknown): dynamic.CheckFailure[] {
  if (containsUnknown(connection)) return [];
  return connectionProblems(connection).map((reason) => ({ property: "connection", reason }));
}

/**
 * The connection stored in a resource's state. State written by these providers always has one;
 * a resource brought in by `pulumi import` (an id and nothing else) does not, and cannot be read.
 */
export function storedConnection(
  resourceType: string,
  id: string,
  props: { connection?: HostConnection } | undefined,
): HostConnection {
  if (!props?.connection || typeof props.connection !== "object") {
    throw hostError(
      String(id).split(":")[0] || "unknown host",
      "invalid-connection",
      `${resourceType} ${id}: the state holds no connection, so the host cannot be read ` +
        `(pulumi import is not supported for host resources; declare the resource instead)`,
    );
  }
  return props.connection;
}

/** "a", "b" and "c", for messages. */
export function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
