/**
 * From a stack to a runnable verify: the fleet, the checks of every plan (optionally narrowed by
 * host or kind), and the secrets those checks need. Secrets are read only when a selected check
 * needs them, and are returned for scrubbing, never printed.
 */
import { basename } from "node:path";
import type { HostConnection } from "../host/transport/connection";
import { sshPrivateKeySecret, type FleetModel } from "../model/fleet";
import { loadStackFile, stackFilePath } from "../model/load";
import { planFleet } from "../render";
import { MissingSecretsError, readSecrets, secretEnvName } from "../secrets/source";
import type { BrokerTarget } from "./broker";
import { brokerEndpoint, kindGroups, mqttKinds, plannedChecks, sshKinds } from "./reach";
import type { RunSetup } from "./run";
import type { VerifyCheck, VerifyOptions } from "./types";
import { UsageError } from "./usage-error";
import { KEY_FILE_MAX_BYTES, readFlagFile } from "../cli/files";
import { monitorUser } from "../services/mqtt-broker/mosquitto-config";
import { mqttPasswordKey } from "../services/mqtt-broker/secrets";

/** Something to set up before verify can run (a secret, a key): one sentence, exit 2, no usage text. */
export class SetupError extends Error {
  override name = "SetupError";
}

export interface VerifyRequest {
  /** Stack name: stacks/Pulumi.<stack>.yaml, and the secrets' stack. */
  stack?: string;
  /** A stack file elsewhere (tests, fixtures); its stack name is taken from Pulumi.<name>.yaml. */
  stackFile?: string;
  /** Check kinds or groups (http, unit, ..., mqtt, ssh); all when empty. */
  only?: string[];
  /** Host names; all when empty. */
  hosts?: string[];
  options: VerifyOptions;
  /** SSH private key file (operators have one); else the ssh-private-key secret, else the agent. */
  identityFile?: string;
  env?: NodeJS.ProcessEnv;
}

export interface PreparedVerify {
  stack: string;
  fleet: FleetModel;
  checks: VerifyCheck[];
  setup: RunSetup;
  /** Every secret value read, for scrubbing anything printed. */
  secrets: string[];
  /** How SSH logs in: "--identity <file>", "secret ssh-private-key", "ssh-agent" (no key material). */
  sshAuth?: string;
}

function stackOf(request: VerifyRequest): { stack: string; file: string } {
  if (request.stackFile) {
    const match = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(basename(request.stackFile));
    return { stack: request.stack ?? match?.[1] ?? "unknown", file: request.stackFile };
  }
  if (!request.stack) throw new UsageError("--stack is required");
  return { stack: request.stack, file: stackFilePath(request.stack) };
}

function selectChecks(fleet: FleetModel, all: VerifyCheck[], only: string[] = [], hosts: string[] = []): VerifyCheck[] {
  for (const name of hosts) {
    if (!fleet.hosts.some((h) => h.name === name))
      throw new UsageError(
        `--host: no host named '${name}' in ${fleet.source} (hosts: ${fleet.hosts.map((h) => h.name).join(", ")})`,
      );
  }
  const kinds = new Set<string>();
  for (const group of only) {
    const members = kindGroups[group];
    if (!members)
      throw new UsageError(`--only: unknown check kind '${group}' (expected ${Object.keys(kindGroups).join(", ")})`);
    members.forEach((k) => kinds.add(k));
  }
  return all.filter(
    (vc) => (kinds.size === 0 || kinds.has(vc.check.kind)) && (hosts.length === 0 || hosts.includes(vc.host)),
  );
}

/** The SSH key the checks (and the record command) log in with; undefined key means the agent. */
export function sshKey(
  stack: string,
  request: Pick<VerifyRequest, "identityFile">,
  env: NodeJS.ProcessEnv,
): { key?: string; auth: string } {
  if (request.identityFile) {
    return {
      key: readFlagFile("--identity", request.identityFile, KEY_FILE_MAX_BYTES),
      auth: `--identity ${request.identityFile}`,
    };
  }
  try {
    return {
      key: readSecrets(stack, [sshPrivateKeySecret], env)[sshPrivateKeySecret],
      auth: `secret ${sshPrivateKeySecret}`,
    };
  } catch (err) {
    // A key that is set but unreadable is said so, not taken for no key at all.
    if (!(err instanceof MissingSecretsError)) throw new SetupError((err as Error).message);
    if (env.SSH_AUTH_SOCK) return { auth: "ssh-agent" };
    throw new SetupError(
      `no SSH key: pass --identity <file>, set ${secretEnvName(sshPrivateKeySecret)}, ` +
        `run \`pulumi config set --secret --stack ${stack} ${sshPrivateKeySecret}\`, or start ssh-agent`,
    );
  }
}

export function prepareVerify(request: VerifyRequest): PreparedVerify {
  const env = request.env ?? process.env;
  const { stack, file } = stackOf(request);
  const fleet = loadStackFile(file);
  const checks = selectChecks(fleet, plannedChecks(fleet, planFleet(fleet)), request.only, request.hosts);
  const secrets: string[] = [];

  let broker: BrokerTarget | undefined;
  if (checks.some((c) => mqttKinds.has(c.check.kind))) {
    const passwordKey = mqttPasswordKey(monitorUser);
    let password: string;
    try {
      password = readSecrets(stack, [passwordKey], env)[passwordKey];
    } catch (err) {
      throw new SetupError((err as Error).message);
    }
    secrets.push(password);
    broker = { ...brokerEndpoint(fleet), user: monitorUser, password, passwordKey };
  }

  let privateKey: string | undefined;
  let sshAuth: string | undefined;
  if (checks.some((c) => sshKinds.has(c.check.kind))) {
    const { key, auth } = sshKey(stack, request, env);
    privateKey = key;
    sshAuth = auth;
    if (key) secrets.push(key);
  }

  const connection = (name: string) => hostConnection(fleet, name, privateKey, request.options.timeoutMs);
  return { stack, fleet, checks, secrets, sshAuth, setup: { fleet, options: request.options, broker, connection } };
}

/** How to reach a fleet host over SSH: its stack address, SSH user and port, pinned host key. */
export function hostConnection(
  fleet: FleetModel,
  name: string,
  privateKey: string | undefined,
  timeoutMs: number,
): HostConnection {
  const host = fleet.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`internal: no host '${name}' in ${fleet.source}`);
  return {
    host: host.name,
    address: host.address,
    port: host.ssh.port,
    user: host.ssh.user,
    hostKey: host.ssh.hostKey,
    privateKey,
    // The stack's deadline for a host slow to answer, when longer than verify's own.
    connectTimeoutMs: Math.max(timeoutMs, (host.ssh.connectTimeoutSeconds ?? 0) * 1000),
  };
}
