/** lyra-orchestrator's settings. */
import { z } from "zod";
import { withRule } from "../../model/issues";
import { lineProblem } from "../../model/text";
import { hostPathProblem } from "../../model/paths";
import { commandLine, enabled, flag, port, unixUser } from "../option-types";

/** Variables lyra-fleet sets in the orchestrator's unit itself; the stack's `environment` may not override them. */
export const orchestratorOwnedVariables = [
  "PORT",
  "LYRA_ORCHESTRATOR_VERSION",
  "LYRA_MQTT_HOST",
  "LYRA_MQTT_PORT",
  "LYRA_MQTT_USERNAME",
  "LYRA_MQTT_PASSWORD_FILE",
];

const envName = withRule(
  z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: "expected an environment variable name in UPPER_SNAKE_CASE" }),
  (name) =>
    orchestratorOwnedVariables.includes(name)
      ? `expected a variable lyra-fleet does not set itself (${name} is set from the fleet${name === "PORT" ? "; set `port` instead" : ""})`
      : undefined,
);
const envValue = withRule(z.string({ error: "expected a string value (quote numbers)" }), (v) => {
  const broken = lineProblem(v);
  return broken ? `expected a one-line value; this one ${broken}` : undefined;
});

export const options = z.strictObject({
  enabled,
  port: port(8000).describe("HTTP port of the FastAPI app (`/healthz`)."),
  // Never root: the unit's sandbox assumes an unprivileged user.
  user: withRule(unixUser("lyra"), (user) =>
    user === "root" ? "expected an unprivileged system user, not root" : undefined,
  ).describe("The app's own unprivileged system account."),
  // Optional: by default the app runs from its installed release (artifacts.lyra-orchestrator),
  // whose directory depends on the pinned version, so the default is worked out at render.
  workingDirectory: withRule(z.string({ error: "expected an absolute path, e.g. /var/lib/lyra" }), (path) =>
    hostPathProblem(path),
  )
    .optional()
    .describe("Where the app runs; defaults to its installed release, `/opt/lyra/apps/lyra-orchestrator/<version>`."),
  command: commandLine("the command line that starts the orchestrator")
    .optional()
    .describe(
      "The command line that serves the app (systemd expands `${PORT}`); defaults to the installed release's `venv/bin/uvicorn lyra.orchestrator:app --host 0.0.0.0 --port ${PORT}`.",
    ),
  environment: z.record(envName, envValue).default({}).describe("Extra environment variables for the app."),
  gpu: flag(true).describe("The app needs the NVIDIA GPU (relaxes device isolation in its unit)."),
});
export type OrchestratorOptions = z.output<typeof options>;
