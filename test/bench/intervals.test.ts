import assert from "node:assert/strict";
import { test } from "node:test";
import { coveredMs } from "../../bench/support/intervals";

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
