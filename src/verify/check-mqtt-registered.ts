/**
 * kind "mqtt-registered": the mirror's registration on its own topic, lyra/clients/online/<mirror>,
 * in the format its mqtt-client.service writes: {"client":"<mirror>","online":true,...} retained on
 * connect, and a retained last will {"client":"<mirror>","online":false}. The broker's ACL lets only
 * that mirror's user publish there. A mirror passes when its retained registration says online, or
 * when it registers while the check listens (up to the window). A message naming another client
 * does not count for this one.
 */
import { seconds, sleepUntil, type CheckImpl, type Outcome } from "./context";

interface Registration {
  client: string;
  online: boolean;
}

export function parseRegistration(payload: Buffer): Registration | undefined {
  try {
    const value = JSON.parse(payload.toString("utf8")) as Partial<Registration>;
    return typeof value.client === "string" && typeof value.online === "boolean"
      ? { client: value.client, online: value.online }
      : undefined;
  } catch {
    return undefined;
  }
}

export const mqttRegisteredCheck: CheckImpl<"mqtt-registered"> = async (check, _vc, ctx, signal) => {
  const session = ctx.broker();
  const windowS = ctx.options.staleAfterSeconds ?? check.withinSeconds;
  const started = Date.now();
  let wentOffline = false;
  let registered!: (o: Outcome) => void;
  const arrived = new Promise<Outcome>((resolve) => (registered = resolve));
  const stop = await session.listen(check.topic, (payload, retained) => {
    const reg = parseRegistration(payload);
    if (!reg) return;
    if (reg.client !== check.client) return;
    if (!reg.online) return void (wentOffline = true);
    registered({
      ok: true,
      detail: retained ? "retained registration, online" : `registered after ${seconds(Date.now() - started)}`,
    });
  });
  try {
    const timedOut = sleepUntil(started + windowS * 1000, signal).then((): Outcome => {
      if (wentOffline)
        return {
          ok: false,
          detail: `offline: its last will is its latest event on ${check.topic}, no registration within ${windowS} s`,
        };
      return { ok: false, detail: `not registered: no registration on ${check.topic} within ${windowS} s` };
    });
    return await Promise.race([arrived, session.whenLost(), timedOut]);
  } finally {
    stop();
  }
};
