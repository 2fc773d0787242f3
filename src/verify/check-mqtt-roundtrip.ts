/** kind "mqtt-roundtrip": publish a unique token on the topic and receive it back, as the monitor user. */
import { randomUUID } from "node:crypto";
import { sleep, type CheckImpl } from "./context";

export const mqttRoundTripCheck: CheckImpl<"mqtt-roundtrip"> = async (check, _vc, ctx, signal) => {
  const session = ctx.broker();
  const token = `lyra-verify ${randomUUID()}`;
  let echoed!: () => void;
  const back = new Promise<void>((resolve) => (echoed = resolve));
  const stop = await session.listen(check.topic, (payload) => payload.toString("utf8") === token && echoed());
  try {
    const started = Date.now();
    await session.publish(check.topic, token);
    const timeoutMs = ctx.options.timeoutMs;
    const result = await Promise.race([
      back.then(() => "back" as const),
      session.whenLost(),
      sleep(timeoutMs, signal).then(() => "late" as const),
    ]);
    if (result === "late")
      return { ok: false, detail: `published on ${check.topic}, no echo within ${timeoutMs / 1000} s` };
    return { ok: true, detail: `echoed in ${Date.now() - started} ms` };
  } finally {
    stop();
  }
};
