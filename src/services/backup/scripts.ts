/**
 * The scripts that back up and restore one data set, and the operator's `lyra-restore` command:
 * POSIX sh around Debian's restic 0.14. Each script is whole (no library to keep in step) and reads
 * its repository, password file, sftp command and state directories from one env file
 * ($LYRA_BACKUP_ENV, by default /etc/lyra/backup/restic.env), so a test can point it at a
 * local repository and a scratch directory.
 *
 * Never an empty snapshot as the latest: a backup runs only after its data set's restore succeeded
 * this boot, and a restore that cannot reach the repository fails (its service does not start).
 * Never overwritten: a restore puts data only where there is none; `lyra-restore` moves the
 * current data aside, it deletes nothing.
 */
import type { BackupSettings } from "./settings";
import type { PlannedDataSet, PlannedDataSetBackup } from "../../render/plan";
import { backupPaths, restoreService } from "./paths";

/** A data set with its backup, as the scripts need it. */
export type BackedUpDataSet = PlannedDataSet & { backup: PlannedDataSetBackup };

/** A word for sh: single-quoted, any quote inside closed and reopened. */
export const shellWord = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

const managed = "# Managed by lyra-fleet: edits are reverted by `pulumi up`.";
/**
 * How long an automatic restore keeps asking a NAS that does not answer: long enough for a NAS that
 * boots a little slower than the host after a power cut, short enough that a converge (which waits
 * 60 s for a unit) still reports the restore's own reason.
 */
export const nasBootGraceSeconds = 30;

/** Settings and helpers every script starts with. `what`: how its messages begin ("backup qdrant"). */
function preamble(host: string, data: BackedUpDataSet, what: string): string {
  const excluded = data.backup.exclude ?? [];
  return `set -eu
host=${shellWord(host)}
id=${shellWord(data.backup.id)}
path=${shellWord(data.path)}
tags="host:$host,dataset:$id"
: "\${LYRA_BACKUP_ENV:=${backupPaths.env}}"
. "$LYRA_BACKUP_ENV"
export RESTIC_REPOSITORY RESTIC_PASSWORD_FILE
if [ -n "\${RESTIC_CACHE_DIR:-}" ]; then export RESTIC_CACHE_DIR; fi
state=$LYRA_BACKUP_STATE_DIR
run=$LYRA_BACKUP_RUN_DIR
mkdir -p "$state" "$run"

say() { printf '%s\\n' "${what}: $*" >&2; }
fail() { say "$*"; exit 1; }

# restic, over the pinned SFTP login when the repository is on the NAS.
restic_() {
  if [ -n "\${LYRA_SFTP_COMMAND:-}" ]; then restic -o "sftp.command=$LYRA_SFTP_COMMAND" "$@"; else restic "$@"; fi
}

# "present"; "missing" when there is no repository there yet (a first deploy); else it fails, saying why.
repository_state() {
  if out=$(restic_ --no-lock cat config 2>&1 >/dev/null); then echo present; return 0; fi
  case "$out" in
    *"unable to open config file"*"no such file or directory"* | *"unable to open config file"*"file does not exist"*)
      echo missing; return 0 ;;
  esac
  # What ssh said, without its banners, so the journal says why (a changed host key, no route, a
  # refused login). ssh itself is asked again: restic relays ssh's lines ("subprocess ssh: ...") only
  # until it gives up, which can be before the last one, the verdict ("Host key verification
  # failed."). What restic relayed stands when ssh now connects.
  ssh_said=
  if [ -n "\${LYRA_SFTP_COMMAND:-}" ]; then
    ssh_said=$($LYRA_SFTP_COMMAND </dev/null 2>&1 >/dev/null | grep -v '^@' | tail -n 2 | tr '\\n' ' ') || true
  fi
  if [ -z "$ssh_said" ]; then
    ssh_said=$(printf '%s\\n' "$out" | sed -n 's/^subprocess ssh: //p' | grep -v '^@' | tail -n 2 | tr '\\n' ' ')
  fi
  restic_said=$(printf '%s\\n' "$out" | grep -v '^subprocess ssh:' | head -n 2 | tr '\\n' ' ')
  say "cannot read the backup repository $RESTIC_REPOSITORY: \${ssh_said:+ssh said: $ssh_said; }$restic_said"
  return 1
}

# The data set's entries, but for what pulumi up writes itself.
data_entries() {
  [ -d "$path" ] || return 0
  find "$path/" -mindepth 1 -maxdepth 1${excluded.map((name) => ` ! -name ${shellWord(name)}`).join("")} -print
}

# Whether the data is there (then nothing is restored over it).
present() {
${indent(data.backup.present ?? '[ -n "$(data_entries | head -n 1)" ]', 2)}
}

# One host, one restic at a time: its backups and restores take turns.
exec 9>>"$run/lock"
flock -w 3600 9 || fail "another backup or restore on this host held the lock for an hour"

# node exporter's textfile collector reads lyra_backup_<id>.prom; written whole, then renamed.
write_metrics() {
  [ -n "\${LYRA_TEXTFILE_DIR:-}" ] && [ -d "$LYRA_TEXTFILE_DIR" ] || return 0
  success=$(cat "$state/$id.last-success" 2>/dev/null || echo 0)
  last_run=$(cat "$state/$id.last-run" 2>/dev/null || echo 1)
  file="$LYRA_TEXTFILE_DIR/lyra_backup_$id.prom"
  {
    echo "# HELP lyra_backup_last_success_timestamp_seconds When the last good backup of the data set finished (0: none yet)."
    echo "# TYPE lyra_backup_last_success_timestamp_seconds gauge"
    echo "lyra_backup_last_success_timestamp_seconds{dataset=\\"$id\\"} $success"
    echo "# HELP lyra_backup_last_run_success Whether the data set's last backup run succeeded (1) or failed (0)."
    echo "# TYPE lyra_backup_last_run_success gauge"
    echo "lyra_backup_last_run_success{dataset=\\"$id\\"} $last_run"
  } > "$file.tmp"
  chmod 0644 "$file.tmp"
  mv -f "$file.tmp" "$file"
}`;
}

function indent(snippet: string, spaces: number): string {
  return snippet
    .split("\n")
    .map((line) => (line === "" ? line : " ".repeat(spaces) + line))
    .join("\n");
}

/** `restic forget`'s retention flags; a count of 0 is left out (restic would read it as "keep none of that kind"). */
function keepFlags(settings: BackupSettings): string {
  const { daily, weekly, monthly } = settings.keep;
  return [
    daily > 0 ? `--keep-daily ${daily}` : "",
    weekly > 0 ? `--keep-weekly ${weekly}` : "",
    monthly > 0 ? `--keep-monthly ${monthly}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** lyra-backup-<id>: restic init (first time), the data set's own step, backup, forget --prune, metrics. */
export function backupScriptText(host: string, data: BackedUpDataSet, settings: BackupSettings): string {
  const excluded = data.backup.exclude ?? [];
  return `#!/bin/sh
${managed}
# Backs up ${data.path} (data set ${data.backup.id}) to the fleet's restic repository.
${preamble(host, data, `backup ${data.backup.id}`)}

[ -e "$run/$id.restored" ] ||
  fail "${restoreService(data.backup.id)} has not succeeded since boot: no backup (an empty snapshot could become the latest)"

# Whatever fails from here is a failed run: the metric says so until a run succeeds.
trap 'rc=$?; if [ $rc -ne 0 ]; then echo 0 > "$state/$id.last-run"; write_metrics; fi' EXIT

# Another host's prune holds the repository's lock for a while: wait for it, within bounds.
with_lock_retries() {
  tries=0
  while :; do
    if out=$("$@" 2>&1); then printf '%s\\n' "$out"; return 0; fi
    case "$out" in
      *"repository is already locked"*)
        tries=$((tries + 1))
        [ "$tries" -lt 20 ] || { printf '%s\\n' "$out" >&2; return 1; }
        say "the repository is locked by another run; trying again in 30 s ($tries/20)"
        sleep 30 ;;
      *) printf '%s\\n' "$out" >&2; return 1 ;;
    esac
  done
}

repo=$(repository_state) || fail "no backup: the repository cannot be read"
if [ "$repo" = missing ]; then
  say "no repository at $RESTIC_REPOSITORY yet: creating it"
  restic_ init
fi
[ -d "$path" ] || fail "$path does not exist: nothing to back up"
${
  data.backup.beforeBackup
    ? `
# The data set's own step before the backup.
(
  cd "$path"
${indent(data.backup.beforeBackup, 2)}
) || fail "the step before the backup failed"
`
    : ""
}
# Nothing to back up (a broker no message reached yet, no incident recorded yet): restic refuses
# an empty snapshot, and an empty one must never become the latest anyway. A good run all the same.
if ! present; then
  date +%s > "$state/$id.last-success"
  echo 1 > "$state/$id.last-run"
  write_metrics
  say "$path holds no data yet: nothing to back up (no snapshot made; any earlier one stays the latest)"
  exit 0
fi

# Backed up from inside its directory, so a restore can put it anywhere; resolved, so the paths
# restic records (and its excludes) are the real ones.
real=$(readlink -f "$path")
cd "$real"
with_lock_retries restic_ backup --host "$host" --tag "$tags"${excluded.map((name) => ` --exclude "$real/"${shellWord(name)}`).join("")} .
cd /
with_lock_retries restic_ forget --tag "$tags" --group-by tags ${keepFlags(settings)} --prune

date +%s > "$state/$id.last-success"
echo 1 > "$state/$id.last-run"
write_metrics
say "backed up $path"
`;
}

/**
 * The restore step shared by the automatic restore and lyra-restore: restic restores the snapshot
 * into a staging directory beside the data, then its entries move in. Only a data set without data
 * (by its own test: qdrant's is its collections, not its snapshots) is restored into, so what is
 * there is what pulumi up writes or a leftover: a directory on both sides is merged, a file already
 * there with the same bytes is kept, and only a file that differs is left in staging for the
 * operator, failing the restore.
 */
const restoreInto = `# merge_into <from> <into>: moves each entry <into> lacks; see restoreInto's comment for the rest.
merge_into() {
  for entry in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    target="$2/\${entry##*/}"
    if [ ! -e "$target" ] && [ ! -L "$target" ]; then
      mv -- "$entry" "$target"
    elif [ -d "$entry" ] && [ ! -L "$entry" ] && [ -d "$target" ] && [ ! -L "$target" ]; then
      # A subshell: the loop's variables are global in sh.
      ( merge_into "$entry" "$target" )
      rmdir -- "$entry" 2>/dev/null || true
    elif [ -f "$entry" ] && [ ! -L "$entry" ] && [ -f "$target" ] && cmp -s -- "$entry" "$target"; then
      rm -f -- "$entry"
    fi
  done
}

# restore_into <snapshot>: into a staging directory beside the data, then moved in.
restore_into() {
  # On an empty host even the data set's parent may be missing (qdrant's /var/lib/qdrant), and
  # readlink -f resolves nothing under a missing directory.
  mkdir -p "$(dirname "$path")"
  real=$(readlink -f "$path") && [ -n "$real" ] || fail "cannot resolve $path"
  staging="$real.lyra-restore"
  # A leftover of an interrupted restore, never data a service wrote.
  rm -rf "$staging"
  restic_ restore "$1" --tag "$tags" --target "$staging"
  mkdir -p "$real"
  merge_into "$staging" "$real"
  rmdir "$staging" 2>/dev/null || fail "$staging still holds files that differ from those in $path: left for you to compare"
}

# The snapshot's "<id> <time>" lines, newest last, as restic lists them for this data set on this host.
snapshot_lines() {
  restic_ snapshots --tag "$tags" --json "$@" | tr '{' '\\n' | sed -n 's/.*"time":"\\([^"]*\\)".*"id":"\\([0-9a-f]*\\)".*/\\2 \\1/p'
}`;

/** lyra-restore-<id>: bring the data back on an empty host, or do nothing; fail only when it cannot tell. */
export function restoreScriptText(host: string, data: BackedUpDataSet): string {
  const unit = data.backup.unit ? ` before ${data.backup.unit}` : "";
  return `#!/bin/sh
${managed}
# Restores ${data.path} (data set ${data.backup.id}) from its latest backup${unit}, when it is empty.
${preamble(host, data, `restore ${data.backup.id}`)}

${restoreInto}

# The data set's own step after a restore, before its service starts.
after_restore() {
${
  data.backup.afterRestore
    ? indent(
        `( cd "$path" && {\n${indent(data.backup.afterRestore, 2)}\n} ) || fail "the step after the restore failed"`,
        2,
      )
    : "  :"
}
}

restored() {
  touch "$run/$id.restored"
  write_metrics
  exit 0
}

case "\${1:-}" in
  "") ;;
  --list)
    # "<id> <time>" lines, newest last: what the docs tell the operator to pick an id from. None is
    # no answer to "which backup?", so it fails, saying so (an empty data set is never backed up).
    repository_state > /dev/null || fail "the backups cannot be read"
    lines=$(snapshot_lines) || fail "cannot list the backups of $id"
    [ -n "$lines" ] || fail "no backup of $id from $host yet"
    printf '%s\\n' "$lines"
    exit 0 ;;
  --snapshot)
    [ $# -eq 2 ] && printf '%s' "$2" | grep -Eqx '[0-9a-f]{8,64}' ||
      fail "usage: ${backupPaths.restoreCommand} ${data.backup.id} <snapshot id> (the ids: ${backupPaths.restoreCommand} --list ${data.backup.id})"
    repository_state > /dev/null || fail "the backups cannot be read: nothing changed"
    chosen=$(snapshot_lines | grep "^$2") || fail "snapshot $2 is not a backup of $id from $host (${backupPaths.restoreCommand} --list ${data.backup.id} lists them)"
    [ "$(printf '%s\\n' "$chosen" | wc -l)" -eq 1 ] || fail "snapshot $2 is ambiguous: give more of its id"
    snapshot=\${chosen%% *}
    aside=lyra-replaced-$(date +%Y%m%d-%H%M%S)
${indent(stopCommand(data), 4)}
    # Moved aside, never deleted: what was there stays beside it until you remove it.
    for p in "$path"${(data.backup.replaces ?? []).map((r) => ` ${shellWord(r)}`).join("")}; do
      if [ -e "$p" ]; then
        real=$(readlink -f "$p")
        mv "$real" "$real.$aside"
        say "moved $real aside to $real.$aside"
      fi
    done
    restore_into "$snapshot"
    after_restore
    touch "$run/$id.restored"
${indent(startCommand(data), 4)}
    say "restored $path from snapshot $snapshot (\${chosen#* })"
    exit 0 ;;
  *) fail "usage: $0 [--list | --snapshot <id>]" ;;
esac

if present; then
  say "$path holds data: nothing restored (existing data is never overwritten)"
  restored
fi
# After a power cut every host boots at once, and the NAS may answer a little later than this host:
# ask again for a while before refusing to start the service on empty data.
give_up=$(( $(date +%s) + ${nasBootGraceSeconds} ))
until repo=$(repository_state); do
  [ "$(date +%s)" -lt "$give_up" ] ||
    fail "$path is empty and the backups cannot be read: not restored, so nothing starts on empty data (asked for ${nasBootGraceSeconds} s: is the NAS up?)"
  sleep 3
done
if [ "$repo" = missing ]; then
  say "no repository at $RESTIC_REPOSITORY yet (a first deploy): nothing to restore"
  restored
fi
latest=$(snapshot_lines --latest 1 | tail -n 1) || fail "cannot list the backups of $id"
if [ -z "$latest" ]; then
  say "no backup of $id from $host yet: nothing to restore"
  restored
fi
snapshot=\${latest%% *}
restore_into "$snapshot"
after_restore
# The restored snapshot is the last good backup this host has.
date -d "\${latest#* }" +%s > "$state/$id.last-success"
say "restored $path from snapshot $snapshot (\${latest#* })"
restored
`;
}

/** What stops the data set's user for a deliberate restore (and starts it again after). */
function stopCommand(data: BackedUpDataSet): string {
  if (data.backup.unit) return `systemctl stop ${shellWord(data.backup.unit)}`;
  if (data.backup.container) return `docker stop ${shellWord(data.backup.container)}`;
  return "# Nothing runs on this data set: nothing to stop.";
}

function startCommand(data: BackedUpDataSet): string {
  if (data.backup.unit) return `systemctl start ${shellWord(data.backup.unit)}`;
  if (data.backup.container) return `docker start ${shellWord(data.backup.container)}`;
  return "# Nothing to start.";
}

/**
 * /usr/local/sbin/lyra-restore: the one command that restores an older backup on purpose. It hands
 * over to the data set's restore script, which stops its user, moves the data aside, restores and
 * starts it again.
 */
export function restoreCommandText(host: string, dataSets: readonly BackedUpDataSet[]): string {
  const ids = dataSets.map((d) => d.backup.id);
  return `#!/bin/sh
${managed}
# Restores an older backup of one of ${host}'s data sets, on purpose:
#   lyra-restore --list <data set>          the backups of it, newest last
#   lyra-restore <data set> <snapshot id>   stop its service, move the data aside, restore, start
# Data sets: ${ids.join(", ")}.
set -eu
usage() {
  echo "usage: lyra-restore --list <data set> | lyra-restore <data set> <snapshot id>" >&2
  echo "data sets on ${host}: ${ids.join(" ")}" >&2
  exit 2
}
script_of() {
  case "$1" in
${dataSets.map((d) => `    ${shellWord(d.backup.id)}) echo ${shellWord(`${backupPaths.scripts}/restore-${d.backup.id}`)} ;;`).join("\n")}
    *) usage ;;
  esac
}
[ $# -eq 2 ] || usage
case "$1" in
  --list) exec "$(script_of "$2")" --list ;;
  -*) usage ;;
  *) exec "$(script_of "$1")" --snapshot "$2" ;;
esac
`;
}
