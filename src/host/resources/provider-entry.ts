/**
 * Dynamic resources whose provider is stored as a few lines that load the real provider from the
 * project when the engine runs it, instead of the real provider's whole closure.
 *
 * Pulumi stores a dynamic resource's provider as module text in every resource's inputs
 * (`__provider`): sent to the engine with each registration, echoed back, kept in state.
 * `pulumi.dynamic.Resource` serializes the provider's closure: HostState's, with everything it
 * reaches (SSH transport, item codecs), is about 160 KB and HealthGate's about 70 KB, 230 KB per
 * host, which made the program's evaluation of 1000 mirrors cost 44 s of CPU and 1.7 GB
 * (bench/program-scale.ts) and its state 230 MB. Serializing also loads TypeScript's parser and
 * inspects every captured function: about a second of every run, whatever the fleet's size.
 *
 * The entry text names the module and its export. The dynamic-provider process (Pulumi's
 * cmd/dynamic-provider: require-from-string, then `.handler()`) finds the project (the engine
 * starts it in the main module's directory, src/: the nearest directory up with a Pulumi.yaml),
 * registers the project's loader, as Pulumi.yaml's nodeargs do for the program
 * (src/fleet/program-loader.cjs: the module runs as one cached esbuild bundle), and requires the
 * module. So `refresh`, `up` and `destroy` run the checkout's provider code, not a copy frozen in
 * state; the SDK's dynamic provider never asks for a replacement when the text changes. In a
 * checkout from before the loader the entry registers tsx, as the entries in states written then
 * do (tsx stays installed for them).
 */
import * as pulumi from "@pulumi/pulumi";
import { withOutputProperties } from "./output-properties";

const methods = ["check", "diff", "create", "read", "update", "delete"] as const;

/**
 * The module text of a provider exported as `exportName` by `module` (a path from the project's
 * root, without extension), with exactly the methods `provider` has (the SDK treats a missing
 * method as one the provider does not implement).
 */
export function providerEntryText(module: string, exportName: string, provider: object): string {
  const implemented = methods.filter((m) => typeof (provider as Record<string, unknown>)[m] === "function");
  return [
    "// Loads the provider from the project (lyra-fleet: src/host/resources/provider-entry.ts).",
    "exports.handler = function () {",
    '  const path = require("path");',
    '  const fs = require("fs");',
    "  let loaded;",
    "  const load = () => {",
    "    if (loaded) return loaded;",
    "    let root = process.cwd();",
    '    while (!fs.existsSync(path.join(root, "Pulumi.yaml"))) {',
    "      if (path.dirname(root) === root) throw new Error(`no Pulumi.yaml in ${process.cwd()} or above it`);",
    "      root = path.dirname(root);",
    "    }",
    '    const loader = path.join(root, "src", "fleet", "program-loader.cjs");',
    '    require(fs.existsSync(loader) ? loader : require.resolve("tsx/cjs", { paths: [root] }));',
    `    loaded = require(path.join(root, ${JSON.stringify(module)}))[${JSON.stringify(exportName)}];`,
    "    return loaded;",
    "  };",
    "  return {",
    ...implemented.map((m) => `    ${m}: (...args) => load().${m}(...args),`),
    "  };",
    "};",
    "",
  ].join("\n");
}

/** The type token of a dynamic resource of this module and type, as the Node.js dynamic provider serves it. */
export const dynamicResourceType = (module: string, type: string) => `pulumi-nodejs:dynamic/${module}:${type}`;

/**
 * A Pulumi dynamic resource (type `pulumi-nodejs:dynamic/<module>:<type>`, served by the Node.js
 * dynamic provider) whose provider is the given entry text. `outputs`, when given: the only
 * properties the program reads back (./output-properties.ts); the others are sent, and kept in
 * state, all the same.
 */
export abstract class EntryResource extends pulumi.CustomResource {
  constructor(
    entryText: string,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions,
    module: string,
    type: string,
    outputs?: readonly string[],
  ) {
    if ("__provider" in props) throw new Error(`${type} '${name}': __provider is reserved for the provider`);
    const all = { ...props, __provider: entryText };
    super(dynamicResourceType(module, type), name, outputs ? withOutputProperties(all, outputs) : all, opts);
  }
}
