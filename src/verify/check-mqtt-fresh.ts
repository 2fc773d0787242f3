/**
 * kind "mqtt-fresh": a message on the topic within the window. Heartbeats are not retained (a
 * retained one could come from a mirror that died hours ago), so the check listens for a live one
 * for up to the window; a retained message counts only when its JSON `time` (epoch seconds, as the
 * health publisher and the heartbeats write it) says it is younger than the window.
 */
import { seconds, sleepUntil, type CheckImpl, type Outcome } from "./context";

/** The payload's `time` in epoch seconds, if it is JSON with one (milliseconds are accepted too). */
export function payloadTime(payload: Buffer): number | undefined {
  try {
    const time = (JSON.parse(payload.toString("utf8")) as { time?: unknown }).time;
    if (typeof time !== "number" || !Number.isFinite(time)) return undefined;
    return time > 1e12 ? time / 1000 : time;
  } catch {
    return undefined;
  }
}

export const mqttFreshCheck: CheckImpl<"mqtt-fresh"> = async (check, _vc, ctx, signal) => {
  const session = ctx.broker();
  const windowS = ctx.options.staleAfterSeconds ?? check.withinSeconds;
  const started = Date.now();
  let lastAgeS: number | undefined;
  let undatedRetained = false;
  let fresh!: (o: Outcome) => void;
  const arrived = new Promise<Outcome>((resolve) => (fresh = resolve));
  const stop = await session.listen(check.topic, (payload, retained) => {
    if (!retained) return fresh({ ok: true, detail: `message after ${seconds(Date.now() - started)}` });
    const time = payloadTime(payload);
    if (time === undefined) return void (undatedRetained = true);
    // A host clock slightly ahead of ours gives a negative age: that is "just now".
    const ageS = Math.max(0, Date.now() / 1000 - time);
    if (ageS <= windowS) fresh({ ok: true, detail: `retained, ${Math.round(ageS)} s old` });
    else lastAgeS = ageS;
  });
  try {
    const stale = sleepUntil(started + windowS * 1000, signal).then((): Outcome => {
      if (lastAgeS !== undefined)
        return { ok: false, detail: `stale: last message ${Math.round(lastAgeS)} s ago, none within ${windowS} s` };
      const note = undatedRetained ? " (only a retained message without a time)" : "";
      return { ok: false, detail: `stale: no message on ${check.topic} within ${windowS} s${note}` };
    });
    return await Promise.race([arrived, session.whenLost(), stale]);
  } finally {
    stop();
  }
};
