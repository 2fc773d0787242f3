/**
 * The secrets a fleet needs and what their values may hold, from the service modules the fleet
 * runs. Checked before any resource is declared (and before `render --show-secrets` writes a
 * file), so a value that would break a host's config is refused while nothing has changed.
 * Messages name the key and what was found, never the value.
 */
import { serviceModules } from "../services/registry";
import { unencryptedPrivateKey } from "../services/secret-rules";
import { sshPrivateKeySecret, type FleetModel } from "./fleet";

/** The key `pulumi up` logs in to every host with, when not the ssh-agent's: ssh2 reads it unattended. */
const operatorKey = unencryptedPrivateKey(sshPrivateKeySecret);

/** Every secret key the fleet reads, sorted; the README's `pulumi config set --secret` list. */
export function requiredSecretKeys(fleet: FleetModel): string[] {
  const keys = new Set<string>();
  for (const module of serviceModules()) {
    if (!module.secretKeys || !fleet.hosts.some((h) => (h.services as Record<string, unknown>)[module.id])) continue;
    for (const key of module.secretKeys(fleet)) keys.add(key);
  }
  return [...keys].sort();
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
