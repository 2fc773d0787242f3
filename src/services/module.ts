/**
 * The contract of a service module: everything lyra-fleet knows about one service, in one folder
 * under src/services/. The model assembles its schema, role presets, secrets and MQTT users from
 * the registered modules; plan assembly calls their renderers; the docs read their data sets.
 */
import type { z } from "zod";
import type { FleetModel, Host } from "../model/fleet";
import type { ModelIssue } from "../model/issues";
import type { Role } from "../model/roles";
import type { RenderContext } from "../render/context";
import type { HostPlan, PlanFragment, PlannedDataSetBackup } from "../render/plan";
import type { SecretRule } from "./secret-rules";

/** What an MQTT user may do, as topic filters. */
export interface MqttAccess {
  publish: string[];
  subscribe: string[];
}

/** A user of a module's own: `operator` when it is used from the operator's machine (verify), not on a host. */
export type ServiceMqttUser = MqttAccess & { operator?: boolean };

/** A daemon listening on a host, for the one-listener-per-port check. */
export interface Listener {
  port: number;
  protocol: "tcp" | "udp";
  /** Who listens, as a user reads it: "upsd (ups)". */
  owner: string;
  /** The field that brings it or sets its port: "hosts.lyra.services.ups". */
  field: string;
}

/** Data on a host that `pulumi up` cannot recreate: it lives only there and in its NAS backup. */
export interface DataSet {
  path: string;
  note: string;
  /** How it is backed up and brought back on a rebuild; absent: listed only (a cache that refills itself). */
  backup?: DataSetBackup;
}

/** How a data set is backed up and restored (the plan carries it as declared: see src/render/plan.ts). */
export type DataSetBackup = PlannedDataSetBackup;

/** Secret keys derived from another secret when the stack does not set them (./module.ts's derivedSecrets). */
export interface DerivedSecrets {
  /** The secret they are derived from: one the stack sets once. */
  source: string;
  /** The keys derived from it, each unless the stack sets it itself. */
  keys: string[];
}

// The hooks are methods, not function-typed properties: TypeScript compares method parameters
// bivariantly, so a module typed by its own options still fits the registry's ServiceModule list.
export interface ServiceModule<
  Id extends string = string,
  Options extends z.ZodObject = z.ZodObject,
  Version extends string = string,
  Image extends string = string,
> {
  /** The runbook's name; the key in a host's `services:` block. */
  id: Id;
  /** Its settings: a strict zod object, every option with a default and a `.describe()` line (the README's reference). */
  options: Options;
  /** Roles that run it unless a host turns it off (`enabled: false`); any host may add it (`<id>: {}`). */
  roles: readonly Role[];
  /**
   * The release versions it runs, each a key the stack pins under `versions:` (one release pins
   * them together, so they stay fleet-level in the stack; the keys are the module's).
   */
  versions?: readonly Version[];
  /**
   * Which of its `versions` are release artifacts (a .tar.gz Debian does not package): the stack
   * pins each under `artifacts:` by sha256, and its render installs it with `plannedArtifact`
   * (src/render/artifacts.ts) from the NAS artifact share or upstream.
   */
  artifacts?: readonly Version[];
  /** The container images it runs, each a key the stack pins by digest under `images:`. */
  images?: readonly Image[];
  /** Everything it puts on its host: packages, directories, files, units, containers, ports, checks, recovery steps. */
  render?(ctx: RenderContext<z.output<Options>>): PlanFragment;
  /** Rendered once the rest of its host's plan is known (the health publisher reports on every unit). */
  renderAfterHost?(ctx: RenderContext<z.output<Options>>, plan: HostPlan): PlanFragment;
  /** Rendered once every host's plan is known (the docs site describes the whole fleet). */
  renderAfterFleet?(ctx: RenderContext<z.output<Options>>, plans: readonly HostPlan[]): PlanFragment;
  /** The flat stack config keys it reads (with `requireSecret`) when some host runs it. */
  secretKeys?(fleet: FleetModel): string[];
  /** What the value of one of its keys may hold; [] for a key that is not its own. */
  secretRules?(key: string): SecretRule[];
  /**
   * Those of its `secretKeys` that, when the stack does not set them, are derived from one secret
   * the stack sets instead (src/model/secrets.ts): a value no operator ever types, one per host.
   */
  derivedSecrets?(fleet: FleetModel): DerivedSecrets;
  /** MQTT: what it adds to its host's own user, and users of its own (named once for the fleet). */
  mqtt?: { hostAccess?(host: Host): MqttAccess; users?: Record<string, ServiceMqttUser> };
  /** Daemons it brings whose port no option names (options called `port` or `grpcPort` are counted already). */
  listeners?(settings: z.output<Options>, host: Host): Listener[];
  /** Its settings that must agree with each other or with the rest of its host; each issue names the field. */
  checkHost?(settings: z.output<Options>, host: Host): ModelIssue[];
  /**
   * The fleet has exactly one host running it (one broker, one config source): checked for every
   * stack, also when no host runs it. Its module exports the accessor (`brokerOf`, `configSourceOf`).
   */
  onePerFleet?: boolean;
  /** Rules across hosts, when some host runs it (nodered's stale window judges every heartbeat). */
  checkFleet?(hosts: readonly Host[]): ModelIssue[];
  /** Data sets on its host that only a backup can bring back (listed by the docs' rebuild page). */
  dataSets?(settings: z.output<Options>): DataSet[];
}

/** Declares a module; the literal id, options type and pinned keys carry through to the model's types. */
export function defineService<
  Id extends string,
  Options extends z.ZodObject,
  Version extends string = never,
  Image extends string = never,
>(module: ServiceModule<Id, Options, Version, Image>): ServiceModule<Id, Options, Version, Image> {
  return module;
}
