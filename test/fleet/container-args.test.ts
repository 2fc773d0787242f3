/**
 * The container's arguments (src/fleet/container-args.ts) and the lab's translation of them into
 * `docker run` (test/lab/docker-run.ts): every field lands on the flag Docker reads it from, an
 * exec-form healthcheck keeps its exact words through the shell, and what cannot be translated
 * is refused by name instead of dropped.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { configHashLabel, containerResourceArgs, containerVolumes } from "../../src/fleet/container-args";
import type { PlannedContainer } from "../../src/render/plan";
import { dockerRunArgv, dockerRunCommand } from "../lab/docker-run";

const spec: PlannedContainer = {
  name: "mqtt-broker",
  image: "registry.lan:5000/eclipse-mosquitto@sha256:" + "a".repeat(64),
  ports: [
    { container: 1883, host: 1884, protocol: "tcp" },
    { container: 53, host: 5353, protocol: "udp" },
  ],
  mounts: [
    { source: "/etc/mosquitto/lyra", target: "/mosquitto/config", readOnly: true, kind: "bind" },
    { source: "mqtt-broker-data", target: "/mosquitto/data", readOnly: false, kind: "volume" },
  ],
  restart: "unless-stopped",
  healthcheck: {
    test: ["CMD", "mosquitto_sub", "-t", "$SYS/broker/uptime"],
    intervalSeconds: 30,
    timeoutSeconds: 10,
    retries: 3,
  },
  labels: { "org.lyra-fleet.service": "mqtt-broker" },
  configFiles: ["/etc/mosquitto/lyra/mosquitto.conf"],
};

test("containerResourceArgs: the spec in the provider's field names, the image ID given, the config hash as the last label", () => {
  assert.deepEqual(containerResourceArgs(spec, "sha256:image", "cafe"), {
    name: "mqtt-broker",
    image: "sha256:image",
    restart: "unless-stopped",
    ports: [
      { internal: 1883, external: 1884, protocol: "tcp" },
      { internal: 53, external: 5353, protocol: "udp" },
    ],
    mounts: [
      { type: "bind", source: "/etc/mosquitto/lyra", target: "/mosquitto/config", readOnly: true },
      { type: "volume", source: "mqtt-broker-data", target: "/mosquitto/data", readOnly: false },
    ],
    healthcheck: {
      tests: ["CMD", "mosquitto_sub", "-t", "$SYS/broker/uptime"],
      interval: "30s",
      timeout: "10s",
      retries: 3,
    },
    labels: [
      { label: "org.lyra-fleet.service", value: "mqtt-broker" },
      { label: configHashLabel, value: "cafe" },
    ],
    mustRun: true,
  });
  assert.deepEqual(containerVolumes(spec), ["mqtt-broker-data"]);
});

test("dockerRunArgv: each field on its docker run flag, the image then the command last", () => {
  const args = {
    ...containerResourceArgs(spec, "sha256:image", "cafe"),
    envs: ["TZ=UTC"],
    command: ["mosquitto", "-v"],
  };
  assert.deepEqual(dockerRunArgv(args), [
    ...["run", "-d", "--name", "mqtt-broker", "--restart", "unless-stopped"],
    ...["--publish", "1884:1883/tcp", "--publish", "5353:53/udp"],
    ...["--mount", "type=bind,source=/etc/mosquitto/lyra,target=/mosquitto/config,readonly"],
    ...["--mount", "type=volume,source=mqtt-broker-data,target=/mosquitto/data"],
    ...["--health-cmd", "exec 'mosquitto_sub' '-t' '$SYS/broker/uptime'"],
    ...["--health-interval", "30s", "--health-timeout", "10s", "--health-retries", "3"],
    ...["--label", "org.lyra-fleet.service=mqtt-broker", "--label", `${configHashLabel}=cafe`],
    ...["--env", "TZ=UTC"],
    ...["sha256:image", "mosquitto", "-v"],
  ]);
});

test("an exec-form healthcheck reaches its program with exactly its words through Docker's sh -c", () => {
  const words = ["%s|", "$SYS/broker/uptime", "it's", "a  b", "`id`", "\\n"];
  const args = containerResourceArgs(
    { ...spec, healthcheck: { ...spec.healthcheck, test: ["CMD", "printf", ...words] } },
    "i",
    "h",
  );
  const argv = dockerRunArgv(args);
  const healthCmd = argv[argv.indexOf("--health-cmd") + 1];
  // Docker runs a --health-cmd as CMD-SHELL: /bin/sh -c <command>.
  const run = spawnSync("/bin/sh", ["-c", healthCmd], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(
    run.stdout,
    words
      .slice(1)
      .map((w) => `${w}|`)
      .join(""),
  );
});

test("CMD-SHELL and NONE healthchecks; anything else is refused with the field named", () => {
  const withTests = (tests: string[]) =>
    dockerRunArgv(containerResourceArgs({ ...spec, healthcheck: { ...spec.healthcheck, test: tests } }, "i", "h"));
  assert.ok(withTests(["CMD-SHELL", "true && true"]).join(" ").includes("--health-cmd true && true"));
  assert.ok(withTests(["NONE"]).includes("--no-healthcheck"));
  assert.throws(() => withTests(["CMD"]), /^Error: healthcheck\.tests: expected/);
  assert.throws(() => withTests(["SHELL", "x"]), /^Error: healthcheck\.tests: expected/);
});

test("a field the translation does not know, or a mount path --mount cannot carry, is refused", () => {
  const args = containerResourceArgs(spec, "i", "h");
  assert.throws(
    () => dockerRunArgv({ ...args, privileged: true } as typeof args),
    /cannot translate container field\(s\) privileged/,
  );
  const comma = { ...args, mounts: [{ ...args.mounts[0], source: "/etc/a,b" }] };
  assert.throws(() => dockerRunArgv(comma), /mounts: source "\/etc\/a,b" has a comma/);
});

test("dockerRunCommand quotes every word for the remote shell", () => {
  const args = containerResourceArgs({ ...spec, labels: { note: "it's $HOME" } }, "i", "h");
  const words = spawnSync("/bin/sh", ["-c", `printf '%s\\n' ${dockerRunCommand(args).replace(/^'docker' /, "")}`], {
    encoding: "utf8",
  })
    .stdout.split("\n")
    .slice(0, -1);
  assert.deepEqual(words, dockerRunArgv(args));
});
