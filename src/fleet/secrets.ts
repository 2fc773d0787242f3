/** Resolving a planned file's secret tokens into a secret output (never a plain input). */
import * as pulumi from "@pulumi/pulumi";
import { hasSecrets, resolveSecrets, secretKeysIn } from "../render/secrets";

/** Secret values by flat config key, each a secret Output. */
export type SecretValues = Readonly<Record<string, pulumi.Output<string>>>;

/** Plain content stays plain; content with tokens becomes a secret output with values filled in. */
export function fileContent(content: string, secrets: SecretValues, where: string): pulumi.Input<string> {
  if (!hasSecrets(content)) return content;
  const keys = secretKeysIn(content);
  const missing = keys.filter((k) => !secrets[k]);
  if (missing.length > 0) throw new Error(`${where}: secrets not provided: ${missing.join(", ")}`);
  const values = pulumi.all(Object.fromEntries(keys.map((k) => [k, secrets[k]])));
  return pulumi.secret(values.apply((v) => resolveSecrets(content, v as Record<string, string>)));
}
