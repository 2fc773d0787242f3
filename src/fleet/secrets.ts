/** Resolving planned files' secret tokens into one secret output per host (never a plain input). */
import * as pulumi from "@pulumi/pulumi";
import type { FileItem } from "../host/resources";
import type { PlannedFile } from "../render/plan";
import { resolveSecrets, secretKeysIn } from "../render/secrets";

/** Secret values by flat config key, each a secret Output. */
export type SecretValues = Readonly<Record<string, pulumi.Output<string>>>;

/** A planned file as a host state's item, with `content` (secrets filled in, or the plan's own). */
export const fileItem = (file: PlannedFile, content = file.content): FileItem => ({
  content,
  mode: file.mode,
  owner: file.owner,
  group: file.group,
});

/**
 * The host's files that hold secret tokens, by path, with the values filled in: one secret output
 * for them all (undefined when there are none).
 */
export function secretFileItems(
  files: readonly PlannedFile[],
  secrets: SecretValues,
  where: string,
): pulumi.Output<Record<string, FileItem>> | undefined {
  if (files.length === 0) return undefined;
  const keys = [...new Set(files.flatMap((f) => secretKeysIn(f.content)))].sort();
  const missing = keys.filter((k) => !secrets[k]);
  if (missing.length > 0) throw new Error(`${where}: secrets not provided: ${missing.join(", ")}`);
  const values = pulumi.all(Object.fromEntries(keys.map((k) => [k, secrets[k]])));
  return pulumi.secret(
    values.apply((v) =>
      Object.fromEntries(
        files.map((f) => [f.path, fileItem(f, resolveSecrets(f.content, v as Record<string, string>))]),
      ),
    ),
  );
}
