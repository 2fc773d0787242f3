/**
 * A lab host's Docker engine, for lab tests that need it before the fleet installs the engine
 * itself. Only hosts in lib/common.sh's DOCKER_HOSTS can run containers (their nspawn options,
 * lib/hosts.sh). The lab's images come from the NAS's registry (lib/images.sh, `labImages()`).
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { shellQuote } from "../../src/host/transport/shell";
import type { Lab, LabHostName } from "./lab";

const DEADLINE_APT_MS = 10 * 60_000;
const DEADLINE_ENGINE_S = 60;

async function onHost(
  lab: Lab,
  host: LabHostName,
  script: string,
  what: string,
  options: { timeoutMs?: number; input?: string } = {},
): Promise<string> {
  const result = await lab.sshExec(host, script, options);
  if (result.code !== 0) throw new Error(`${host}: ${what} failed (exit ${result.code}):\n${result.stderr.trim()}`);
  return result.stdout;
}

/** Debian packages through the lab's mirror forward, unless all are installed already. */
export async function aptInstall(lab: Lab, host: LabHostName, packages: string[]): Promise<void> {
  const list = packages.join(" ");
  await onHost(
    lab,
    host,
    `[ "$(dpkg-query -W -f='\${db:Status-Status}\\n' ${list} 2>/dev/null | grep -cx installed)" = ${packages.length} ] && exit 0
     export DEBIAN_FRONTEND=noninteractive
     apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends ${list} >/dev/null`,
    `apt-get install ${list}`,
    { timeoutMs: DEADLINE_APT_MS },
  );
}

/**
 * Debian's docker.io on `host`, configured to pull over plain HTTP from `insecureRegistries` (the
 * NAS's registry has no TLS), started and answering. The fleet installs the engine the same way.
 *
 * Until the software part is merged, the fleet does not render /etc/docker/daemon.json for the
 * broker host in docker mode yet: this writes it with the same content the fleet will
 * (`{ "insecure-registries": [...] }`, two-space JSON and a newline) and restarts dockerd when it changes.
 */
export async function ensureDockerEngine(lab: Lab, host: LabHostName, insecureRegistries: string[]): Promise<void> {
  await aptInstall(lab, host, ["docker.io"]);
  const config = `${JSON.stringify({ "insecure-registries": insecureRegistries }, null, 2)}\n`;
  await onHost(
    lab,
    host,
    `set -e
     mkdir -p /etc/docker
     cat >/etc/docker/daemon.json.lab-new
     if cmp -s /etc/docker/daemon.json.lab-new /etc/docker/daemon.json; then
       rm /etc/docker/daemon.json.lab-new
     else
       mv /etc/docker/daemon.json.lab-new /etc/docker/daemon.json
       systemctl reset-failed docker.service 2>/dev/null || true
       systemctl restart docker.service
     fi
     systemctl start docker.service
     end=$(($(date +%s) + ${DEADLINE_ENGINE_S}))
     until docker info >/dev/null 2>&1; do
       [ "$(date +%s)" -lt "$end" ] || { journalctl -u docker -n 20 --no-pager >&2; echo "dockerd does not answer" >&2; exit 1; }
       sleep 0.5
     done`,
    "starting the Docker engine",
    { input: config },
  );
}

/**
 * What the Docker provider does with a container's image: pulls it by its pinned reference and
 * hands the container the image's ID.
 */
export async function pullImageId(lab: Lab, host: LabHostName, image: string): Promise<string> {
  const id = await onHost(
    lab,
    host,
    `docker pull -q ${shellQuote(image)} >/dev/null && docker image inspect -f '{{.Id}}' ${shellQuote(image)}`,
    `docker pull ${image}`,
  );
  return id.trim();
}

/**
 * Waits until the container is running and its healthcheck says healthy; fails at once when it
 * stops running, and at the deadline, with its health log and last lines of output.
 */
export async function waitHealthy(lab: Lab, host: LabHostName, name: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let state = "";
  while (Date.now() < deadline) {
    state = (
      await onHost(
        lab,
        host,
        `docker inspect -f '{{.State.Status}}{{if .State.Health}} {{.State.Health.Status}}{{end}}' ${shellQuote(name)}`,
        "docker inspect",
      )
    ).trim();
    if (state === "running healthy") return;
    if (!state.startsWith("running")) break;
    await sleep(1000);
  }
  const detail = await lab.sshExec(
    host,
    `docker inspect -f '{{json .State.Health}}' ${shellQuote(name)}; docker logs --tail 30 ${shellQuote(name)} 2>&1`,
  );
  assert.fail(`${name} is "${state}", not "running healthy", after ${deadlineMs / 1000} s:\n${detail.stdout}`);
}
