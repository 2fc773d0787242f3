/**
 * The stack's `backup:` section (fleet-wide: one repository, one schedule, one retention) and the
 * NAS fields it needs. A stack without `backup:` declares no backups; with it, every data set a
 * module declares with a `backup` is backed up by restic over SFTP and restored on an empty host.
 */
import { z } from "zod";
import { withRule, type ModelIssue } from "../../model/issues";
import { calendarProblem } from "./calendar";

/** systemd's OnCalendar= syntax uses only these (`_` in time zones); a line break would start another directive. */
const calendarCharacters = /^[A-Za-z0-9*:/.,~ +_-]+$/;
const calendarExpected = 'expected a systemd OnCalendar= expression, e.g. "*-*-* 03:00:00" or "daily"';

const keepCount = (what: string, fallback: number) =>
  z
    .number({ error: `expected how many ${what} backups to keep (0-1000)` })
    .int({ error: `expected a whole number of ${what} backups (0-1000)` })
    .min(0, { error: `expected how many ${what} backups to keep (0-1000)` })
    .max(1000, { error: `expected how many ${what} backups to keep (0-1000)` })
    .default(fallback);

export const backupSchema = z.strictObject({
  /** When each host backs up its data sets (systemd OnCalendar=, the host's time zone). */
  schedule: withRule(z.string({ error: calendarExpected }), (s) => {
    if (!calendarCharacters.test(s) || s.trim() !== s) return calendarExpected;
    const problem = calendarProblem(s);
    return problem ? `${calendarExpected}; ${problem}` : undefined;
  }).default("*-*-* 03:00:00"),
  /** Spreads the hosts' runs so they do not all reach the NAS at the same second (RandomizedDelaySec=). */
  randomizedDelayMinutes: z
    .number({ error: "expected a number of minutes (0-720)" })
    .int({ error: "expected a whole number of minutes (0-720)" })
    .min(0, { error: "expected a number of minutes (0-720)" })
    .max(720, { error: "expected a number of minutes (0-720)" })
    .default(30),
  /** Retention, per data set (restic forget --keep-daily/--keep-weekly/--keep-monthly). */
  keep: z
    .strictObject({
      daily: keepCount("daily", 7),
      weekly: keepCount("weekly", 4),
      monthly: keepCount("monthly", 6),
    })
    .refine((k) => k.daily + k.weekly + k.monthly > 0, {
      error:
        "expected at least one backup kept (daily, weekly or monthly above 0): 0 everywhere would delete every backup",
    })
    .default({ daily: 7, weekly: 4, monthly: 6 }),
  /** Past this age the last good backup is stale: verify fails and Prometheus alerts. */
  maxAgeHours: z
    .number({ error: "expected a number of hours (1-2160)" })
    .int({ error: "expected a whole number of hours (1-2160)" })
    .min(1, { error: "expected a number of hours (1-2160)" })
    .max(2160, { error: "expected a number of hours (1-2160)" })
    .default(36),
});

export type BackupSettings = z.output<typeof backupSchema>;

/** What `backup:` needs from `site.nas`, absent from a stack that declares no backups. */
export interface NasLogin {
  host: string;
  path: string;
  user?: string;
  hostKey?: string;
}

/** With `backup:` set, the NAS login (`site.nas.user`, `site.nas.hostKey`) must be there: each missing one is an issue. */
export function backupNasIssues(backup: BackupSettings | undefined, nas: NasLogin): ModelIssue[] {
  if (backup === undefined) return [];
  const why = "the backup section stores backups on the NAS over SFTP";
  return [
    ...(nas.user === undefined
      ? [{ path: "site.nas.user", message: `expected the NAS account the hosts log in as, e.g. lyra (${why})` }]
      : []),
    ...(nas.hostKey === undefined
      ? [
          {
            path: "site.nas.hostKey",
            message: `expected the NAS's SSH host key, "<type> <base64>" (ssh-keyscan -t ed25519 ${nas.host}) (${why})`,
          },
        ]
      : []),
  ];
}
