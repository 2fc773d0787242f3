/**
 * Preloaded into the program by Pulumi.yaml's nodeargs, before tsx and the SDK: plain CommonJS,
 * because nothing may be compiled before the SDK has taken the stack config out of the environment
 * (scripts/pulumi-cli/config-from-pipe.cjs; tsx's first compile spawns esbuild, and a large
 * fleet's config in the environment makes that spawn fail with E2BIG).
 *
 * When the Pulumi SDK loads, it loads TypeScript's compiler and npm's Arborist (with pacote and the
 * rest of npm's fetching stack) for closure serialization: turning a JavaScript function into source
 * text, as `pulumi.runtime.serializeFunction` and a dynamic provider given as an object do. That is
 * about 0.4 s of every program run, most of the SDK's load time. The program never serializes a
 * closure: its dynamic resources carry a provider entry text (./host/resources/provider-entry.ts).
 *
 * So, when the SDK requires either module, it gets a stand-in that loads the real module on first
 * use. The module is still resolved at once, so a missing one fails where it did (the SDK's
 * TypeScript shim then falls back to its vendored copy). The stand-in passes every property read
 * and key listing to the real module, and says it is an ES module: TypeScript's `__importStar` then
 * keeps it rather than copying its keys (which would load it), and its `.default` is the module
 * itself, as `__importDefault` would make it. test/fleet/sdk-preload.test.ts checks all this.
 */
"use strict";
const Module = require("node:module");

/** Modules the SDK loads eagerly but uses only to serialize closures. */
const deferredModules = ["typescript", "@npmcli/arborist"];
const sdkFile = /[\\/]node_modules[\\/]@pulumi[\\/]pulumi[\\/]/;
const defers = Symbol.for("lyra-fleet defers the SDK's closure modules");

/** A module that is loaded only when something reads from it. */
function loadOnFirstUse(load) {
  let real;
  const module = () => (real ??= load());
  return new Proxy(
    {},
    {
      get(_target, key) {
        if (key === "__esModule") return true;
        const loaded = module();
        if (key === "default" && !loaded.__esModule) return loaded;
        return loaded[key];
      },
      has: (_target, key) => key in module(),
      ownKeys: () => Reflect.ownKeys(module()),
      getOwnPropertyDescriptor(_target, key) {
        // Loaders ask these of every module they load: answered without loading. ("module.exports"
        // is tsx's question, for a require of an ES module; neither deferred module is one.)
        if (key === "__esModule") return { value: true, writable: false, enumerable: false, configurable: true };
        if (key === "module.exports") return undefined;
        const descriptor = Reflect.getOwnPropertyDescriptor(module(), key);
        // A proxy may not report a property as non-configurable that its (empty) target lacks.
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

const load = Module._load;
if (!load[defers]) {
  Module._load = Object.assign(
    function (request, parent, isMain) {
      if (!deferredModules.includes(request) || !parent || !sdkFile.test(parent.filename)) {
        return load.apply(this, arguments);
      }
      Module._resolveFilename(request, parent, isMain); // throws now if it is missing, as a load would
      return loadOnFirstUse(() => load.call(this, request, parent, isMain));
    },
    { [defers]: true },
  );
}
