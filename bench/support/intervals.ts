/** Time intervals for benchmarks: how much of a window some activity covered (overlaps once). */
export type Interval = [startMs: number, endMs: number];

/** Milliseconds of `window` covered by at least one of `intervals`. */
export function coveredMs(intervals: Interval[], window: Interval): number {
  const clipped = intervals
    .map(([s, e]): Interval => [Math.max(s, window[0]), Math.min(e, window[1])])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let [curStart, curEnd] = [NaN, NaN];
  for (const [s, e] of clipped) {
    if (s > curEnd || Number.isNaN(curEnd)) {
      if (!Number.isNaN(curEnd)) covered += curEnd - curStart;
      [curStart, curEnd] = [s, e];
    } else curEnd = Math.max(curEnd, e);
  }
  if (!Number.isNaN(curEnd)) covered += curEnd - curStart;
  return covered;
}
