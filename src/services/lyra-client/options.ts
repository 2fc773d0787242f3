/** lyra-client's settings. */
import { z } from "zod";
import { isUnder } from "../../model/paths";
import { enabled, hostPath, port, seconds } from "../option-types";

/** lyra-client's own log directory (its LogsDirectory=); the fallback log links into it. */
export const clientLogsDirectory = "/var/log/lyra-client";

export const options = z.strictObject({
  enabled,
  port: port(8300).describe("HTTP port of the mirror UI."),
  reconnectSeconds: seconds(30, 1, 600).describe("The runbook's reconnect interval while offline."),
  cachePath: hostPath("/var/lib/lyra/cache", {
    directories: ["/var/lib", "/var/cache"],
    why: "systemd creates it for the client's user",
  }).describe("Cached answers for the offline fallback."),
  fallbackLog: hostPath("/var/log/lyra-fallback.log", { directories: ["/var/log"], why: "a log file" }, (path) =>
    isUnder(path, clientLogsDirectory)
      ? `expected a path outside ${clientLogsDirectory}, the client's own log directory, e.g. /var/log/lyra-fallback.log`
      : undefined,
  ).describe("Where failures are logged while offline."),
});
export type LyraClientOptions = z.output<typeof options>;
