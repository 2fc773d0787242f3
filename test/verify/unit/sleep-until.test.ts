/** sleepUntil: a check's window ends by the wall clock its result is measured with, not by a timer alone. */
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { sleepUntil } from "../../../src/verify/context";

test("a wake-up before the deadline waits again for what is left", async () => {
  // The clock as a timer that fires a millisecond early sees it: 0 at the start, 49 at the first
  // wake-up, then 50.
  const readings = [0, 0, 49, 49, 50];
  const now = mock.method(Date, "now", () => readings.shift() ?? 50);
  try {
    await sleepUntil(50);
  } finally {
    now.mock.restore();
  }
  assert.deepEqual(readings, [], "Date.now() read until the deadline had passed");
});

test("a deadline already passed returns at once; an abort ends the wait", async () => {
  await sleepUntil(Date.now() - 1);
  const abort = new AbortController();
  const waiting = sleepUntil(Date.now() + 60_000, abort.signal);
  abort.abort();
  await waiting;
});
