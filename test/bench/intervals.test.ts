import assert from "node:assert/strict";
import { test } from "node:test";
import { coveredMs, hostSpans } from "../../bench/support/intervals";

test("coveredMs counts overlapping intervals once and only inside the window", () => {
  assert.equal(coveredMs([], [0, 100]), 0);
  assert.equal(coveredMs([[10, 20]], [0, 100]), 10);
  // overlapping, nested, touching and disjoint, given out of order
  assert.equal(
    coveredMs(
      [
        [50, 60],
        [10, 30],
        [20, 40],
        [25, 26],
        [40, 45],
      ],
      [0, 100],
    ),
    45,
  );
  // clipped by the window at both ends; an interval wholly outside counts nothing
  assert.equal(
    coveredMs(
      [
        [-50, 10],
        [90, 150],
        [200, 300],
      ],
      [0, 100],
    ),
    20,
  );
});

test("hostSpans: each host's first start and last end from the window's start, and its busy time counted once", () => {
  const commands = [
    { host: "vega", startMs: 1_000, endMs: 3_000 },
    { host: "mirror-1", startMs: 3_500, endMs: 4_000 },
    { host: "vega", startMs: 2_000, endMs: 5_000 },
    { host: "mirror-1", startMs: 6_000, endMs: 9_000 },
  ];
  assert.deepEqual(hostSpans(commands, [1_000, 10_000]), {
    vega: { startMs: 0, endMs: 4_000, busyMs: 4_000 },
    "mirror-1": { startMs: 2_500, endMs: 8_000, busyMs: 3_500 },
  });
  assert.deepEqual(hostSpans([], [0, 1]), {});
});
