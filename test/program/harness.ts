/**
 * Runs the real program (src/index.ts) under Pulumi mocks, as `pulumi up` would load it, and
 * records every registration: type, name, parent, dependencies, inputs, and which inputs are
 * secret, and every invoke. Mocks and config are set before the program is imported; invokes
 * throw (none is mocked).
 *
 * One evaluation per process (the Pulumi runtime is global): see ./evaluate.ts.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { answerAsApplied, type ApplyingEngine } from "./applying-engine";

export interface Registration {
  type: string;
  name: string;
  urn: string;
  parent: string;
  custom: boolean;
  /** URNs this resource depends on (dependsOn and input dependencies). */
  dependencies: string[];
  /** Its aliases given as URNs (the names it had before). */
  aliasUrns: string[];
  /** Inputs with secrets unwrapped. */
  inputs: Record<string, unknown>;
  /** Dotted paths of inputs that are secret. */
  secretPaths: string[];
}

const secretSigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";

/** Unwrap Pulumi's wire format, noting where secrets were. */
function unwrap(value: unknown, path: string, secrets: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrap(v, `${path}.${i}`, secrets));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[secretSigKey] === secretSig) {
      secrets.push(path.replace(/^\./, ""));
      return unwrap(obj.value, path, []);
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrap(v, `${path}.${k}`, secrets)]));
  }
  return value;
}

export interface EvaluateOptions {
  stack: string;
  /** The fleet object (what `lyra-fleet:fleet` holds in the stack file). */
  fleet: unknown;
  /** Secret config values by flat key. */
  secrets: Record<string, string>;
  /**
   * Record every registration (the default). False: only count them, so a benchmark measures the
   * program's evaluation rather than this harness's bookkeeping.
   */
  record?: boolean;
  /** Modules required before the program: an extension service registering itself (test/fixtures/example-service). */
  preload?: string[];
  /** Answer each registration once applied, as in `pulumi up` (./applying-engine.ts); absent: at once. */
  applying?: ApplyingEngine;
}

/** A function the program called (an invoke), and how many resources it had registered by then. */
export interface Invoke {
  token: string;
  registrationsBefore: number;
}

/** What the program registered (or how many, unrecorded), and the stack outputs it exported. */
export interface ProgramRun {
  registrations: Registration[] | number;
  /** Every invoke, in the order made. The mocks answer each with an error. */
  invokes: Invoke[];
  outputs: unknown;
  /** With `applying`: the most registrations the program had unanswered at once. */
  mostUnanswered?: number;
}

export async function evaluateProgram(options: EvaluateOptions, programPath: string): Promise<ProgramRun> {
  const registrations: Registration[] = [];
  const invokes: Invoke[] = [];
  let count = 0;
  await pulumi.runtime.setMocks(
    {
      // The state drops the serialized provider (tens of KB per resource, recorded as a hash
      // below): the mock monitor would otherwise keep a copy of it for every resource.
      newResource: ({ inputs: { __provider: _provider, ...inputs }, ...args }) => {
        count++;
        // A HostState reports a digest of what its host has, once applied: what it was given. Named
        // after the resource, to show where it flows.
        if (args.type === "pulumi-nodejs:dynamic/lyra-host:HostState") {
          const digest = createHash("sha256")
            .update(JSON.stringify([inputs.items, inputs.secretFiles]))
            .digest("hex");
          return { id: `${args.name}-id`, state: { ...inputs, converged: `converged:${args.name}:${digest}` } };
        }
        // An image's two identities, told apart, to show which one the container is given.
        if (args.type === "docker:index/remoteImage:RemoteImage") {
          return {
            id: `${args.name}-id`,
            state: { ...inputs, imageId: `image-id-of:${inputs.name}`, repoDigest: `repo-digest-of:${inputs.name}` },
          };
        }
        // A container whose inputs change is replaced: a new one, with a new ID.
        if (args.type === "docker:index/container:Container") {
          const digest = createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 12);
          return { id: `${args.name}-id-${digest}`, state: inputs };
        }
        return { id: `${args.name}-id`, state: inputs };
      },
      call: (args) => {
        invokes.push({ token: args.token, registrationsBefore: count });
        throw new Error(`unmocked invoke ${args.token}`);
      },
    },
    "lyra-fleet",
    options.stack,
    false,
  );
  // The mock monitor hides dependencies and secrets from newResource: read the raw requests.
  const settings = require("@pulumi/pulumi/runtime/settings");
  const monitor = settings.getMonitor();
  const record = options.record !== false;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: unknown, res: any) => void) =>
    register(req, (err: unknown, res: any) => {
      if (!err && record) {
        const secretPaths: string[] = [];
        const inputs = unwrap(req.getObject()?.toJavaScript() ?? {}, "", secretPaths) as Record<string, unknown>;
        // The serialized provider code is large: keep a hash (it must be stable across runs).
        if (typeof inputs.__provider === "string")
          inputs.__provider = `sha256:${createHash("sha256").update(inputs.__provider).digest("hex")}`;
        registrations.push({
          type: req.getType(),
          name: req.getName(),
          urn: res.getUrn(),
          parent: req.getParent(),
          custom: req.getCustom(),
          dependencies: [...req.getDependenciesList()].sort(),
          aliasUrns: req
            .getAliasesList()
            .map((alias: any) => alias.getUrn())
            .filter(Boolean),
          inputs,
          secretPaths: secretPaths.sort(),
        });
      }
      callback(err, res);
    });
  const mostUnanswered = options.applying ? answerAsApplied(monitor, options.applying) : undefined;

  const config: Record<string, string> = { "lyra-fleet:fleet": JSON.stringify(options.fleet) };
  for (const [key, value] of Object.entries(options.secrets)) config[`lyra-fleet:${key}`] = value;
  pulumi.runtime.setAllConfig(
    config,
    Object.keys(options.secrets).map((k) => `lyra-fleet:${k}`),
  );

  for (const module of options.preload ?? []) require(module);
  // The program declares its fleet in turns and exports the promise of the stack's outputs: an
  // error in a later turn rejects it.
  const outputs: unknown = await (require(programPath) as unknown);
  await settings.waitForRPCs();
  return {
    registrations: record ? registrations.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0)) : count,
    invokes,
    outputs,
    mostUnanswered: mostUnanswered?.(),
  };
}
