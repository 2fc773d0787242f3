/**
 * The backup schedule's check against systemd itself: every expression the model accepts is one
 * that `systemd-analyze calendar` parses and that comes round again ("Next elapse" is a date, not
 * "never"). Expressions are drawn from a grammar wider than the accepted one, so the check also
 * meets what it must refuse.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { calendarProblem } from "../../../../src/services/backup/calendar";

/** systemd's reading of one expression: its next elapse, or undefined when it refuses it. */
function systemdNextElapse(expression: string): string | undefined {
  const run = spawnSync("systemd-analyze", ["calendar", expression], { encoding: "utf8", timeout: 10_000 });
  assert.equal(run.error, undefined, `systemd-analyze could not run: ${run.error}`);
  if (run.status !== 0) return undefined;
  const next = /Next elapse: (.*)/.exec(run.stdout);
  assert.ok(next, `systemd-analyze printed no next elapse for ${JSON.stringify(expression)}:\n${run.stdout}`);
  return next[1].trim();
}

/** A small deterministic generator (mulberry32), so a failure names an expression that stays. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expressions(count: number): string[] {
  const next = random(14);
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
  const number = (max: number) => String(Math.floor(next() * (max + 2)));
  const component = (max: number): string =>
    pick([
      () => "*",
      () => number(max),
      () => `${number(max)}..${number(max)}`,
      () => `${number(max)}/${number(max)}`,
      () => `${number(max)}..${number(max)}/${number(max)}`,
      () => `${number(max)},${number(max)}`,
      () => `*/${number(max)}`,
      () => `0${number(9)}`,
    ])();
  const day = () => pick(["Mon", "tue", "Wednesday", "Fri", "Sun", "Sat", "Xyz"]);
  const weekdays = () =>
    pick([day, () => `${day()}..${day()}`, () => `${day()},${day()}`, () => `${day()}-${day()}`])();
  const date = () =>
    pick([
      () => `*-${component(12)}-${component(31)}`,
      () => `${component(12)}-${component(31)}`,
      () => `*-${component(12)}~${component(31)}`,
      () => `${pick(["2027", "*", "1999"])}-${component(12)}-${component(31)}`,
    ])();
  const time = () =>
    pick([() => `${component(23)}:${component(59)}`, () => `${component(23)}:${component(59)}:${component(59)}`])();
  const zone = () => pick(["UTC", "utc", "Europe/Berlin", "America/New_York", "Etc/GMT+1", "Nowhere/City", "CET"]);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts = [
      next() < 0.3 ? weekdays() : "",
      next() < 0.6 ? date() : "",
      next() < 0.8 ? time() : "",
      next() < 0.15 ? zone() : "",
    ].filter((p) => p !== "");
    out.push(parts.length > 0 ? parts.join(" ") : pick(["daily", "Weekly", "semi-annually", "fortnightly", "*"]));
  }
  return out;
}

test("every schedule the model accepts is one systemd parses and runs again", () => {
  const corpus = expressions(600);
  const accepted = corpus.filter((e) => calendarProblem(e) === undefined);
  // Both sides of the check are exercised.
  assert.ok(accepted.length >= 100, `only ${accepted.length} of ${corpus.length} generated expressions were accepted`);
  assert.ok(corpus.length - accepted.length >= 100, "too few generated expressions were refused");
  for (const expression of accepted) {
    const next = systemdNextElapse(expression);
    assert.ok(next !== undefined, `the model accepts ${JSON.stringify(expression)}, systemd refuses it`);
    assert.notEqual(next, "never", `the model accepts ${JSON.stringify(expression)}, which never runs`);
  }
});

test("the usual schedules are accepted, as systemd reads them", () => {
  for (const expression of [
    "daily",
    "weekly",
    "Weekly",
    "semi-annually",
    "03:00",
    "*-*-* 03:00:00",
    "*-*-* 03:00 UTC",
    "*-*-* 03:00 Europe/Berlin",
    "Mon..Fri 02:30",
    "Sat,Sun 04:00",
    "Mon,Wed..Fri *-*-* 02:30",
    "Sun *-*-* 04:30",
    "*-*-01 03:00",
    "*-*~01 03:00",
    "*-01,07-01 03:00",
    "*-*-* 00/6:00",
    "*-*-* 1..5:30",
    "*:0/15",
    "*-02-29 03:00",
  ]) {
    assert.equal(calendarProblem(expression), undefined, expression);
    assert.ok(systemdNextElapse(expression) !== undefined, `systemd refuses ${expression}`);
  }
});

test("schedules systemd refuses, or that never come round, are refused", () => {
  for (const expression of [
    "x",
    "every day",
    "*",
    "Mon *",
    "03:00 Mon",
    "*-*-* 24:00",
    "*-*-* 03:60",
    "*-13-01",
    "*-*-32",
    "*-02-30",
    "*-04,06-31 03:00",
    "Fri..Mon 03:00",
    "*-*-* 03:00  UTC",
    "*-*-* 03:00 Nowhere/City",
    "*/6:00",
    "0/24:00",
    "*-02~29",
  ]) {
    assert.notEqual(calendarProblem(expression), undefined, `the model accepts ${JSON.stringify(expression)}`);
    const next = systemdNextElapse(expression);
    assert.ok(
      next === undefined || next === "never",
      `systemd runs ${expression} (next: ${next}): the test's list is wrong`,
    );
  }
  // A fixed year is refused although systemd runs it, until that year ends.
  assert.match(calendarProblem("2027-*-* 03:00") ?? "", /the year 2027 ends the schedule/);
  assert.ok(systemdNextElapse("2027-*-* 03:00") !== undefined);
});
