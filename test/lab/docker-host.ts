/**
 * A lab host's Docker engine and the registry the lab's images come from, for lab tests that need
 * them before the fleet installs the engine itself. Only hosts in lib/common.sh's DOCKER_HOSTS can
 * run containers (their nspawn options, lib/hosts.sh).
 */
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../support/free-port";
import type { ImageRegistry } from "./broker-image";
import type { Lab, LabHostName } from "./lab";

const DEADLINE_APT_MS = 10 * 60_000;
const DEADLINE_ENGINE_S = 60;
const DEADLINE_TUNNEL_MS = 20_000;
/** Debian's docker-registry listens here (its /etc/docker/registry/config.yml). */
const registryPort = 5000;
const registryConfig = "/etc/docker/registry/config.yml";

async function onHost(lab: Lab, host: LabHostName, script: string, what: string, timeoutMs?: number): Promise<string> {
  const result = await lab.sshExec(host, script, { timeoutMs });
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
    DEADLINE_APT_MS,
  );
}

/**
 * Debian's docker.io on `host`, configured to pull over plain HTTP from `insecureRegistries` (the
 * lab's registries have no TLS), started and answering. The fleet installs the engine the same way.
 */
export async function ensureDockerEngine(lab: Lab, host: LabHostName, insecureRegistries: string[]): Promise<void> {
  await aptInstall(lab, host, ["docker.io"]);
  const config = JSON.stringify({ "insecure-registries": insecureRegistries });
  await onHost(
    lab,
    host,
    `set -e
     mkdir -p /etc/docker
     if [ "$(cat /etc/docker/daemon.json 2>/dev/null)" != '${config}' ]; then
       printf '%s\\n' '${config}' >/etc/docker/daemon.json
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
  );
}

export interface RunningRegistry extends ImageRegistry {
  close(): Promise<void>;
}

/**
 * Debian's docker-registry on a lab host, reached from this machine through an SSH tunnel and by
 * the hosts as `<host>.lab.home.arpa:5000`. A stand-in until the lab's `nas` host serves the
 * registry; then point the image push at nas instead ({ pushUrl: its forwarded loopback address,
 * name: "nas.lab.home.arpa:5000" }).
 */
export async function standInRegistry(lab: Lab, host: LabHostName): Promise<RunningRegistry> {
  await aptInstall(lab, host, ["docker-registry"]);
  // Debian's config asks every client for an htpasswd login; the lab's registry is open, on the
  // lab network only.
  const config = [
    "version: 0.1",
    "storage:",
    "  filesystem:",
    "    rootdirectory: /var/lib/docker-registry",
    "http:",
    `  addr: :${registryPort}`,
    "",
  ].join("\n");
  await onHost(
    lab,
    host,
    `set -e
     if [ "$(cat ${registryConfig})" != '${config.trimEnd()}' ]; then
       printf '%s' '${config}' >${registryConfig}
       systemctl restart docker-registry.service
     fi
     systemctl start docker-registry.service`,
    "starting docker-registry",
  );
  const port = await freePort();
  const h = lab.host(host);
  const tunnel = spawn(
    "ssh",
    [
      ...["-F", "/dev/null", "-i", lab.clientKeyPath, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"],
      ...["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${lab.knownHostsPath}`],
      ...["-o", "ExitOnForwardFailure=yes", "-o", "ConnectTimeout=5", "-N"],
      ...["-L", `127.0.0.1:${port}:127.0.0.1:${registryPort}`, "-p", String(h.port), `root@${h.address}`],
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  tunnel.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const close = async () => {
    if (tunnel.exitCode !== null || tunnel.signalCode !== null) return;
    const exited = new Promise((resolve) => tunnel.once("exit", resolve));
    tunnel.kill("SIGTERM");
    await exited;
  };
  const pushUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + DEADLINE_TUNNEL_MS;
  for (;;) {
    if (tunnel.exitCode !== null) throw new Error(`ssh tunnel to ${host}'s registry exited: ${stderr.trim()}`);
    const answer = await fetch(`${pushUrl}/v2/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (answer?.status === 200) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(
        `${host}'s docker-registry does not answer on /v2/ through the tunnel within ${DEADLINE_TUNNEL_MS / 1000} s`,
      );
    }
    await sleep(250);
  }
  return { pushUrl, name: `${host}.lab.home.arpa:${registryPort}`, close };
}
