/**
 * The backup schedule, checked as systemd will read it (systemd.time(7), "Calendar Events"). A
 * timer whose OnCalendar= systemd cannot parse is written, loads without a trigger and never runs:
 * the first sign would be a stale backup days later. So the model accepts a subset of systemd's
 * syntax that systemd always accepts and that always comes round again: the keywords (`daily`,
 * `weekly`...), and `[weekdays] [[*-]month-day] [hour:minute[:second]] [time zone]`, each field `*`
 * or a list of values, `a..b` ranges and `a/step` or `a..b/step` repetitions. A fixed year is
 * refused: a schedule that ends stops the backups with it. `test/services/backup/tools/calendar.test.ts`
 * holds every expression this accepts to `systemd-analyze calendar`.
 */

const keywords = [
  "minutely",
  "hourly",
  "daily",
  "weekly",
  "monthly",
  "yearly",
  "annually",
  "quarterly",
  "semiannually",
  "semi-annually",
];

const weekdayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const longWeekdayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** Days in each month, February's leap day counted: the schedule may come round in a leap year. */
const daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

interface Field {
  name: string;
  min: number;
  max: number;
}
const month: Field = { name: "month", min: 1, max: 12 };
const day: Field = { name: "day", min: 1, max: 31 };
// systemd refuses a count back from the month's end past 28 (`*-02~29`): no month is shorter.
const dayFromEnd: Field = { name: "day counted from the month's end", min: 1, max: 28 };
const hour: Field = { name: "hour", min: 0, max: 23 };
const minute: Field = { name: "minute", min: 0, max: 59 };
const second: Field = { name: "second", min: 0, max: 59 };

/** A field's values, or why it is refused. `*` is every value. */
function fieldValues(text: string, field: Field): Set<number> | string {
  if (text === "*") return range(field.min, field.max, 1);
  const values = new Set<number>();
  for (const item of text.split(",")) {
    const parsed = /^(\d{1,2})(?:\.\.(\d{1,2}))?(?:\/(\d{1,2}))?$/.exec(item);
    if (!parsed) return `"${item}" is not a ${field.name}: expected a number, a..b, a/step or a..b/step`;
    const start = Number(parsed[1]);
    const stop = parsed[2] === undefined ? undefined : Number(parsed[2]);
    const step = parsed[3] === undefined ? undefined : Number(parsed[3]);
    for (const value of [start, stop]) {
      if (value !== undefined && (value < field.min || value > field.max))
        return `${field.name} ${value} is out of range (${field.min}-${field.max})`;
    }
    if (stop !== undefined && stop < start) return `the ${field.name} range ${item} runs backwards`;
    if (step !== undefined && (step < 1 || step > field.max - field.min))
      return `the ${field.name} step /${step} is out of range (1-${field.max - field.min})`;
    // systemd refuses a repetition without a range that stops before its second value (`22/4:00`).
    if (step !== undefined && stop === undefined && start + step > field.max)
      return `the ${field.name} repetition ${item} never repeats: expected start + step at most ${field.max}`;
    const last = stop ?? (step === undefined ? start : field.max);
    for (const value of range(start, last, step ?? 1)) values.add(value);
  }
  return values;
}

function range(from: number, to: number, step: number): Set<number> {
  const values = new Set<number>();
  for (let v = from; v <= to; v += step) values.add(v);
  return values;
}

function weekdayIndex(name: string): number {
  const lower = name.toLowerCase();
  const index = weekdayNames.indexOf(lower);
  return index >= 0 ? index : longWeekdayNames.indexOf(lower);
}

function weekdaysProblem(text: string): string | undefined {
  // systemd takes a trailing comma ("Mon, 03:00"), and `-` as well as `..` for a range.
  for (const item of text.replace(/,$/, "").split(",")) {
    const [first, last, ...more] = item.split(/\.\.|-/);
    const from = weekdayIndex(first);
    const to = last === undefined ? from : weekdayIndex(last);
    if (more.length > 0 || from < 0 || to < 0)
      return `"${item}" is not a weekday: expected Mon..Sun (or Monday..Sunday), a list or a range such as Mon..Fri`;
    if (to < from) return `the weekday range ${item} runs backwards (weeks start on Monday)`;
  }
  return undefined;
}

/** `[year-]month-day`, or `~` before the day to count from the month's end. */
function dateProblem(text: string): string | undefined {
  const parts = /^(?:([^-~]+)-)?([^-~]+)([-~])([^-~]+)$/.exec(text);
  if (!parts) return `"${text}" is not a date: expected month-day or *-month-day, e.g. *-*-01`;
  const [, year, monthText, separator, dayText] = parts;
  if (year !== undefined && year !== "*")
    return `the year ${year} ends the schedule: expected * (every year), e.g. *-${monthText}-${dayText}`;
  const months = fieldValues(monthText, month);
  if (typeof months === "string") return months;
  // Counted from the end, systemd reads lists and repetitions its own way (`~1,28` is refused,
  // `~3/1` counts down): one day or one range is what the model takes.
  if (separator === "~" && !/^\d{1,2}(?:\.\.\d{1,2})?$/.test(dayText))
    return `"~${dayText}" counts from the month's end: expected one day or a range a..b, e.g. *-*~01`;
  const days = fieldValues(dayText, separator === "~" ? dayFromEnd : day);
  if (typeof days === "string") return days;
  // Counted from the end, every day up to 28 exists in every month.
  if (separator === "~") return undefined;
  const comesRound = [...months].some((m) => [...days].some((d) => d <= daysInMonth[m - 1]));
  return comesRound ? undefined : `no month of ${monthText} has a day ${dayText}: the schedule would never run`;
}

function timeProblem(text: string): string | undefined {
  const parts = text.split(":");
  if (parts.length < 2 || parts.length > 3)
    return `"${text}" is not a time: expected hour:minute or hour:minute:second, e.g. 03:00`;
  const fields = [hour, minute, second];
  for (const [i, part] of parts.entries()) {
    const values = fieldValues(part, fields[i]);
    if (typeof values === "string") return values;
  }
  return undefined;
}

function timeZoneProblem(text: string): string | undefined {
  if (text.toUpperCase() === "UTC") return undefined;
  // An IANA name, Area/Location (Europe/Berlin), as the host's tzdata names it.
  if (/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(text)) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: text });
      return undefined;
    } catch {
      // Not a zone Node.js knows: refused below.
    }
  }
  return `"${text}" is not a time zone: expected UTC or an IANA name such as Europe/Berlin`;
}

/**
 * Why systemd would not run a timer with `OnCalendar=<expression>` for ever, or undefined when it
 * would. The reasons name the part of the expression at fault.
 */
export function calendarProblem(expression: string): string | undefined {
  if (keywords.includes(expression.toLowerCase())) return undefined;
  const tokens = expression.split(" ");
  if (tokens.some((t) => t === "")) return "expected one space between the parts";
  // The parts come in systemd's order, each at most once: weekdays, date, time, time zone.
  const parts: { problem: (token: string) => string | undefined; matches: (t: string) => boolean }[] = [
    { problem: weekdaysProblem, matches: (t) => /^[A-Za-z]/.test(t) && !t.includes("/") },
    { problem: dateProblem, matches: (t) => /^[0-9*]/.test(t) && /[-~]/.test(t) && !t.includes(":") },
    { problem: timeProblem, matches: (t) => t.includes(":") },
  ];
  let next = 0;
  let found = 0;
  for (const [i, token] of tokens.entries()) {
    const at = parts.findIndex((p, index) => index >= next && p.matches(token));
    if (at < 0) {
      if (i === tokens.length - 1 && found > 0) return timeZoneProblem(token);
      return `"${token}" is not a weekday, date or time in its place: expected [weekdays] [date] [time] [time zone], e.g. "Mon..Fri *-*-* 03:00"`;
    }
    const problem = parts[at].problem(token);
    if (problem) return problem;
    next = at + 1;
    found++;
  }
  return undefined;
}
