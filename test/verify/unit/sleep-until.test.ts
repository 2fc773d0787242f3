/** sleepUntil and sleep: a check's wait ends by the wall clock its result is measured with, not by a timer alone. */
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { sleep, sleepUntil } from "../../../src/verify/context";

/** Runs `wait` with Date.now() returning `readings` in turn (then the last), and returns those left unread. */
async function withClock(readings: number[], wait: () => Promise<void>): Promise<number[]> {
  const last = readings.at(-1)!;
  const now = mock.method(Date, "now", () => readings.shift() ?? last);
  try {
    await wait();
  } finally {
    now.mock.restore();
  }
  return readings;
}

test("a wake-up before the deadline waits again for what is left", async () => {
  // A timer that fires a millisecond early: the clock says 49 at the first wake-up, then 50.
  assert.deepEqual(await withClock([0, 49, 49, 50], () => sleepUntil(50)), [], "Date.now() read until the deadline");
});

test("sleep(ms) is a wait until now + ms, so it waits again the same way", async () => {
  assert.deepEqual(await withClock([0, 0, 49, 49, 50], () => sleep(50)), [], "Date.now() read until the deadline");
});

test("a deadline already passed returns after one turn; an abort ends the wait", async () => {
  await sleepUntil(Date.now() - 1);
  const abort = new AbortController();
  const waiting = sleep(60_000, abort.signal);
  abort.abort();
  await waiting;
});
