/**
 * `npm run artifacts`: every release artifact the stack pins, put on the NAS artifact share at
 * <site.nas.artifacts.path>/<key>/<version>/<file>, checked by its pinned sha256 first. A file
 * already there with the pinned digest is left alone (and not even fetched); a file whose digest
 * differs from the pin is refused, naming both digests, so the operator can pin the right one.
 */
import type { ArtifactBuild } from "../model/artifacts";
import type { FleetModel } from "../model/fleet";
import { pinnedKeys } from "../model/services";
import { obtain } from "./obtain";
import type { Share } from "./share";

export type PublishAction = "already there" | "uploaded" | "refused" | "failed";

export interface PublishRow {
  key: string;
  /** The architecture the build is for, or "any". */
  arch: string;
  version: string;
  file: string;
  /** The pinned digest. */
  sha256: string;
  action: PublishAction;
  /** Where it came from, or why it was refused or failed. */
  detail: string;
}

/** Where the share holds a build of versions.<key>. */
export function sharePath(fleet: FleetModel, key: string, build: ArtifactBuild): string {
  return `${fleet.site.nas.artifacts.path}/${key}/${fleet.versions[key]}/${build.file}`;
}

/** Every build pinned for versions.<key>, with the stack field that pins it. */
function buildsOf(fleet: FleetModel, key: string): { arch: string; field: string; build: ArtifactBuild }[] {
  return Object.entries(fleet.artifacts[key] as Record<string, ArtifactBuild>).map(([arch, build]) => ({
    arch,
    field: arch === "any" ? `artifacts.${key}` : `artifacts.${key}.${arch}`,
    build,
  }));
}

export async function publishArtifacts(fleet: FleetModel, share: Share, from?: string): Promise<PublishRow[]> {
  const rows: PublishRow[] = [];
  for (const key of [...pinnedKeys().artifacts].sort())
    for (const { arch, field, build: pin } of buildsOf(fleet, key)) {
      const version = fleet.versions[key];
      const row = { key, arch, version, file: pin.file, sha256: pin.sha256 };
      const path = sharePath(fleet, key, pin);
      try {
        if ((await share.digestOf(path)) === pin.sha256) {
          rows.push({ ...row, action: "already there", detail: path });
          continue;
        }
        const got = await obtain(key, version, pin, field, from);
        if (got.sha256 !== pin.sha256) {
          rows.push({
            ...row,
            action: "refused",
            detail: `sha256 mismatch for ${key} ${version}: expected ${pin.sha256} (${field}.sha256), got ${got.sha256} from ${got.source}; nothing uploaded (pin ${got.sha256} if you trust that file)`,
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
  const header = ["artifact", "arch", "version", "sha256", "result", "detail"];
  const cells = rows.map((r) => [r.key, r.arch, r.version, `${r.sha256.slice(0, 12)}…`, r.action, r.detail]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...cells.map(line)].join("\n");
}
