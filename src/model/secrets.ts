/**
 * The secrets a fleet needs and what their values may hold, from the service modules the fleet
 * runs. Checked before any resource is declared (and before `render --show-secrets` writes a
 * file), so a value that would break a host's config is refused while nothing has changed.
 * Messages name the key and what was found, never the value.
 */
import { createHmac } from "node:crypto";
import { serviceModules } from "../services/registry";
import { unencryptedPrivateKey } from "../services/secret-rules";
import { sshPrivateKeySecret, type FleetModel } from "./fleet";

/** The key `pulumi up` logs in to every host with, when not the ssh-agent's: ssh2 reads it unattended. */
const operatorKey = unencryptedPrivateKey(sshPrivateKeySecret);

/** The modules some host of the fleet runs. */
const modulesRun = (fleet: FleetModel) =>
  serviceModules().filter((module) => fleet.hosts.some((h) => (h.services as Record<string, unknown>)[module.id]));

/** Every secret key the fleet reads, sorted, those it may derive included (secretsToSet: what a stack sets). */
export function requiredSecretKeys(fleet: FleetModel): string[] {
  const keys = new Set<string>();
  for (const module of modulesRun(fleet)) {
    for (const key of module.secretKeys?.(fleet) ?? []) keys.add(key);
  }
  return [...keys].sort();
}

/** Keys the stack may leave unset, each with the secret it is then derived from. */
export function derivedSecretSources(fleet: FleetModel): Map<string, string> {
  const sources = new Map<string, string>();
  for (const module of modulesRun(fleet)) {
    if (!module.derivedSecrets) continue;
    const { source, keys } = module.derivedSecrets(fleet);
    for (const key of keys) sources.set(key, source);
  }
  return sources;
}

/** The keys a stack sets (the README's `pulumi config set --secret` list): a derived key's source in its place. */
export function secretsToSet(fleet: FleetModel): string[] {
  const derived = derivedSecretSources(fleet);
  return [...new Set([...requiredSecretKeys(fleet).filter((key) => !derived.has(key)), ...derived.values()])].sort();
}

/**
 * A derived secret's value: HMAC-SHA256 of its key under the source secret, as base64url (43
 * characters, one line). Stable, so an unchanged stack stays a no-op; the key itself is the
 * message, so each host's value is its own and none tells another's or the source's.
 */
export function derivedSecretValue(sourceValue: string, key: string): string {
  return createHmac("sha256", sourceValue).update(`lyra-fleet derived secret ${key}`).digest("base64url");
}

/** A secret the stack must set; `instead`: the keys it stands for (each of which may be set itself). */
export interface MissingSecret {
  key: string;
  instead?: string[];
}

/**
 * Every key the fleet reads, with its value: the stack's own (`lookup`), else derived from its
 * source (derivedSecretSources). `missing` names what to set, once per source. `explicit` is
 * every value `lookup` gave, sources included: the values to check with secretValueProblems
 * (a derived one is well formed by construction).
 */
export function completeSecrets(
  fleet: FleetModel,
  lookup: (key: string) => string | undefined,
): { values: Record<string, string>; explicit: Record<string, string>; missing: MissingSecret[] } {
  const sources = derivedSecretSources(fleet);
  const values: Record<string, string> = {};
  const explicit: Record<string, string> = {};
  const missing: MissingSecret[] = [];
  const unsetBySource = new Map<string, string[]>();
  const sourceValues = new Map<string, string | undefined>();
  const given = (key: string): string | undefined => {
    const value = lookup(key);
    if (value !== undefined) explicit[key] = value;
    return value;
  };
  for (const key of requiredSecretKeys(fleet)) {
    const value = given(key);
    const source = sources.get(key);
    if (value !== undefined) {
      values[key] = value;
    } else if (source === undefined) {
      missing.push({ key });
    } else {
      if (!sourceValues.has(source)) sourceValues.set(source, given(source));
      const sourceValue = sourceValues.get(source);
      if (sourceValue !== undefined) values[key] = derivedSecretValue(sourceValue, key);
      else if (unsetBySource.has(source)) unsetBySource.get(source)!.push(key);
      else unsetBySource.set(source, [key]);
    }
  }
  for (const [key, instead] of unsetBySource) missing.push({ key, instead });
  return { values, explicit, missing };
}

/** One line per missing secret: the key to set, and for a source what it stands for. */
export function missingSecretLines(missing: readonly MissingSecret[], command: (key: string) => string): string[] {
  return missing.map(({ key, instead }) =>
    instead
      ? `${command(key)}   # ${instead.length === 1 ? instead[0] : `${instead.length} secrets (${abbreviated(instead)})`} derived from it; or set each itself`
      : command(key),
  );
}

/** "a, b, c" or "a, b and 98 more". */
function abbreviated(keys: readonly string[]): string {
  return keys.length <= 3 ? keys.join(", ") : `${keys.slice(0, 2).join(", ")} and ${keys.length - 2} more`;
}

/** Every problem with the given values, one line each ("secret 'ups-monitor-password' holds '='..."). */
export function secretValueProblems(values: Readonly<Record<string, string | undefined>>): string[] {
  const rules = (key: string) => [
    ...(key === sshPrivateKeySecret ? [operatorKey] : []),
    ...serviceModules().flatMap((module) => module.secretRules?.(key) ?? []),
  ];
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .flatMap(([key, value]) =>
      rules(key)
        .flatMap((rule) => rule(value) ?? [])
        .map((problem) => `secret '${key}' ${problem}`),
    );
}
