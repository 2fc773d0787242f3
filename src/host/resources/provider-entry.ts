/**
 * A dynamic provider that Pulumi serializes as a few lines which load the real provider from the
 * project when the engine runs it, instead of the real provider's whole closure.
 *
 * Pulumi stores a dynamic resource's provider as source text in every resource's inputs
 * (`__provider`): sent to the engine with each registration, echoed back, kept in state. Serialized
 * in full, HostState's provider with everything it reaches (SSH transport, item codecs) is about
 * 160 KB and HealthGate's about 70 KB: 230 KB per host, which made the program's evaluation of
 * 1000 mirrors cost 54 s and 2 GB (bench/program-scale.ts) and its state 230 MB. Serializing it
 * also loads TypeScript's parser and walks every captured module: about a second per run.
 *
 * The entry's text names the module and export; the dynamic-provider process finds the project
 * (the engine starts it in the main module's directory, src/: the nearest directory up with a
 * Pulumi.yaml), registers tsx, as Pulumi.yaml's nodeargs do for the program, and requires it. So `refresh`, `up` and `destroy` run the checkout's provider code, not a copy
 * frozen in state; the SDK's dynamic provider never asks for a replacement when the text changes.
 */
import type * as NodeFs from "node:fs";
import type * as NodePath from "node:path";
import type * as pulumi from "@pulumi/pulumi";

type Method = "check" | "diff" | "create" | "read" | "update" | "delete";
const methods: readonly Method[] = ["check", "diff", "create", "read", "update", "delete"];

/**
 * The provider exported as `exportName` by `module` (a path from the project's root, without
 * extension), as an entry with exactly the methods `provider` has.
 */
export function providerEntry(
  module: string,
  exportName: string,
  provider: pulumi.dynamic.ResourceProvider,
): pulumi.dynamic.ResourceProvider {
  const entry: Record<string, unknown> = {};
  for (const method of methods) {
    if (typeof provider[method] !== "function") continue;
    // Only the strings and the globals `require` and `process` are captured: the text stays small.
    entry[method] = (...args: unknown[]): unknown => {
      const path = require("path") as typeof NodePath;
      const { existsSync } = require("fs") as typeof NodeFs;
      let root = process.cwd();
      while (!existsSync(path.join(root, "Pulumi.yaml"))) {
        if (path.dirname(root) === root) throw new Error(`no Pulumi.yaml in ${process.cwd()} or above it`);
        root = path.dirname(root);
      }
      require(require.resolve("tsx/cjs", { paths: [root] }));
      const loaded = require(path.join(root, module)) as Record<string, Record<Method, (...a: unknown[]) => unknown>>;
      return loaded[exportName][method](...args);
    };
  }
  return entry as unknown as pulumi.dynamic.ResourceProvider;
}
