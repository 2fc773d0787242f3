/**
 * `npm run artifacts`: every release artifact the stack pins, put on the NAS artifact share at
 * <site.nas.artifacts.path>/<key>/<version>/<file>, checked by its pinned sha256 first. A file
 * already there with the pinned digest is left alone (and not even fetched); a file whose digest
 * differs from the pin is refused, naming both digests, so the operator can pin the right one.
 */
import type { FleetModel } from "../model/fleet";
import { pinnedKeys } from "../model/services";
import { obtain } from "./obtain";
import type { Share } from "./share";

export type PublishAction = "already there" | "uploaded" | "refused" | "failed";

export interface PublishRow {
  key: string;
  version: string;
  file: string;
  /** The pinned digest. */
  sha256: string;
  action: PublishAction;
  /** Where it came from, or why it was refused or failed. */
  detail: string;
}

/** Where the share holds versions.<key>'s file. */
export function sharePath(fleet: FleetModel, key: string): string {
  return `${fleet.site.nas.artifacts.path}/${key}/${fleet.versions[key]}/${fleet.artifacts[key].file}`;
}

export async function publishArtifacts(fleet: FleetModel, share: Share, from?: string): Promise<PublishRow[]> {
  const rows: PublishRow[] = [];
  for (const key of [...pinnedKeys().artifacts].sort()) {
    const pin = fleet.artifacts[key];
    const version = fleet.versions[key];
    const row = { key, version, file: pin.file, sha256: pin.sha256 };
    const path = sharePath(fleet, key);
    try {
      if ((await share.digestOf(path)) === pin.sha256) {
        rows.push({ ...row, action: "already there", detail: path });
        continue;
      }
      const got = await obtain(key, version, pin, from);
      if (got.sha256 !== pin.sha256) {
        rows.push({
          ...row,
          action: "refused",
          detail: `sha256 mismatch for ${key} ${version}: expected ${pin.sha256} (artifacts.${key}.sha256), got ${got.sha256} from ${got.source}; nothing uploaded (pin ${got.sha256} if you trust that file)`,
        });
        continue;
      }
      await share.put(path, got.bytes);
      rows.push({ ...row, action: "uploaded", detail: `${got.source} -> ${path}` });
    } catch (err) {
      rows.push({ ...row, action: "failed", detail: (err as Error).message });
    }
  }
  return rows;
}

/** The rows as a plain-text table, one artifact a line. */
export function publishTable(rows: readonly PublishRow[]): string {
  const header = ["artifact", "version", "sha256", "result", "detail"];
  const cells = rows.map((r) => [r.key, r.version, `${r.sha256.slice(0, 12)}…`, r.action, r.detail]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...cells.map(line)].join("\n");
}
