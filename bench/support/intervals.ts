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

/** When a host's remote commands ran in a phase, from the phase's start: first start, last end, time some command was in flight. */
export interface HostSpan {
  startMs: number;
  endMs: number;
  busyMs: number;
}

/** Each host's span over `commands` (one interval a command), relative to `window`'s start. */
export function hostSpans(
  commands: { host: string; startMs: number; endMs: number }[],
  window: Interval,
): Record<string, HostSpan> {
  const byHost = new Map<string, Interval[]>();
  for (const c of commands) byHost.set(c.host, [...(byHost.get(c.host) ?? []), [c.startMs, c.endMs]]);
  return Object.fromEntries(
    [...byHost].map(([host, intervals]) => [
      host,
      {
        startMs: Math.max(0, Math.min(...intervals.map(([s]) => s)) - window[0]),
        endMs: Math.max(0, Math.max(...intervals.map(([, e]) => e)) - window[0]),
        busyMs: coveredMs(intervals, window),
      },
    ]),
  );
}
