/**
 * qdrant's data set: backed up through its snapshot API, restored through its own recovery.
 *
 * Before each backup every collection gets a fresh snapshot (POST /collections/<name>/snapshots)
 * and its older snapshots are deleted, so the snapshots directory holds one consistent file per
 * collection: that directory is what restic keeps. On an empty host the restore puts the files
 * back and writes /run/lyra/qdrant-restore.env, whose $QDRANT_RESTORE_ARGS (`--snapshot
 * <file>:<collection>` each) qdrant's unit passes at its first start; the unit removes the file
 * once qdrant started, so a later restart does not recover again over newer data.
 */
import type { DataSetBackup } from "../module";
import type { QdrantOptions } from "./options";

export const qdrantRestoreEnv = "/run/lyra/qdrant-restore.env";
export const qdrantBackupId = "qdrant";

export function qdrantBackup(settings: QdrantOptions): DataSetBackup {
  const api = `http://127.0.0.1:${settings.port}`;
  return {
    id: qdrantBackupId,
    unit: "qdrant.service",
    // Collections in its storage: qdrant has data, whatever the snapshots directory holds.
    present: `[ -n "$(ls -A ${settings.storagePath}/collections 2>/dev/null)" ]`,
    beforeBackup: [
      `api=${api}`,
      // Names URI-encoded, so each is one word in the loops and one segment in the URLs.
      `names=$(curl -fsS --max-time 30 "$api/collections" | jq -r '.result.collections[].name | @uri')`,
      "for name in $names; do",
      "  old=$(curl -fsS --max-time 30 \"$api/collections/$name/snapshots\" | jq -r '.result[].name | @uri')",
      '  curl -fsS --max-time 3600 -X POST "$api/collections/$name/snapshots?wait=true" > /dev/null',
      "  for snapshot in $old; do",
      '    curl -fsS --max-time 60 -X DELETE "$api/collections/$name/snapshots/$snapshot?wait=true" > /dev/null',
      "  done",
      "done",
    ].join("\n"),
    afterRestore: [
      "args=",
      'for dir in "$path"/*/; do',
      '  [ -d "$dir" ] || continue',
      "  snapshot=$(ls -1 \"$dir\" | grep '\\.snapshot$' | tail -n 1)",
      '  [ -n "$snapshot" ] && args="$args --snapshot $dir$snapshot:$(basename "$dir")"',
      "done",
      `printf 'QDRANT_RESTORE_ARGS="%s"\\n' "$args" > ${qdrantRestoreEnv}`,
    ].join("\n"),
    // A deliberate restore recovers the collections from the snapshots: the storage goes aside too.
    replaces: [settings.storagePath],
    packages: ["curl", "jq"],
  };
}
