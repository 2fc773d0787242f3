/**
 * Helpers shared by the resource classes (program side: they run in `pulumi up`'s program, not in
 * the provider process).
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostConnection } from "../transport/connection";
import { sha256Hex } from "../transport/remote-path";

/** A {@link HostConnection} whose fields may be Pulumi inputs (see there for each field). */
export interface HostConnectionInputs {
  /** Fleet host name ("vega"): the name every message uses. */
  host: pulumi.Input<string>;
  /** IP address or DNS name sshd listens on. */
  address: pulumi.Input<string>;
  /** sshd's TCP port. */
  port: pulumi.Input<number>;
  /** Login user; anyone but root needs passwordless sudo. */
  user: pulumi.Input<string>;
  /** The host's pinned OpenSSH public key line ("ssh-ed25519 AAAA..."). */
  hostKey: pulumi.Input<string>;
  /** Private key (pass a secret); when absent, the agent at SSH_AUTH_SOCK. */
  privateKey?: pulumi.Input<string>;
  /** Deadline for the TCP connect and sshd's first answer, in ms (the login gets three). Default 10 000. */
  connectTimeoutMs?: pulumi.Input<number>;
}

/** The type token module of every host resource: "pulumi-nodejs:dynamic/lyra-host:File". */
export const HOST_RESOURCE_MODULE = "lyra-host";

/** How long a health gate may poll, unless told: a mirror's services starting on a loaded Raspberry Pi. */
export const GATE_TIMEOUT_MS = 150_000;

/**
 * The connection as a resource input. When it carries a private key, the whole connection is made
 * secret: Pulumi stores the providers' inputs and outputs in state, and only a top-level property
 * can be secret, so this is what keeps the key encrypted there even if the caller forgot
 * `config.requireSecret`.
 */
export function connectionInput(connection: pulumi.Input<HostConnectionInputs>): pulumi.Output<HostConnection> {
  if (connectionInputs.has(connection)) return connection as pulumi.Output<HostConnection>;
  const input = pulumi.output(connection).apply((resolved) => {
    const plain = Object.fromEntries(
      Object.entries(resolved).filter(([, value]) => value !== undefined),
    ) as unknown as HostConnection;
    return plain.privateKey !== undefined ? pulumi.secret(plain) : pulumi.output(plain);
  });
  connectionInputs.add(input);
  return input;
}

/**
 * What connectionInput made, so that a host's resources can share one: each call costs the SDK a
 * tree of outputs (one per field, then their join), and a fleet's hosts have several resources each.
 */
const connectionInputs = new WeakSet<object>();

/**
 * The sha256 of some content, as an input beside it. Computed here rather than in the provider so
 * that (1) it is known at preview time, so a unit whose trigger it is shows its restart in the
 * preview, and (2) it is secret exactly when the content is: Pulumi marks an output secret when
 * the input of the same name was.
 */
export function contentSha256(content: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(content).apply(sha256Hex);
}

/** A plain (non-Output, non-Promise) value, for validation at construction time. */
export function plainValue<T>(input: pulumi.Input<T> | undefined): T | undefined {
  if (input === undefined || pulumi.Output.isInstance(input) || input instanceof Promise) return undefined;
  return input as T;
}

/**
 * Throws the problems found in a resource's arguments at construction, awsx style: one error that
 * names the resource type, its name and every field at fault, before anything is registered.
 */
export function throwIfProblems(resourceType: string, name: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(`${resourceType} '${name}': ${problems.join("; ")}`);
}
