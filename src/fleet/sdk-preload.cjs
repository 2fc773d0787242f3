/**
 * Preloaded into the program by Pulumi.yaml's nodeargs, before tsx and the SDK: plain CommonJS,
 * because nothing may be compiled before the SDK has taken the stack config out of the environment
 * (scripts/pulumi-cli/config-from-pipe.cjs; tsx's first compile spawns esbuild, and a large
 * fleet's config in the environment makes that spawn fail with E2BIG).
 *
 * When the Pulumi SDK and its runner load, they load modules that a program like this one never
 * uses, about half of the 800 modules a run loaded and 0.4-0.6 s of it:
 * - for closure serialization (turning a JavaScript function into source text, as
 *   `pulumi.runtime.serializeFunction` and a dynamic provider given as an object do): TypeScript's
 *   compiler, npm's Arborist (with pacote and the rest of npm's fetching stack), and
 *   normalize-package-data. The program's dynamic resources carry a provider entry text instead
 *   (./host/resources/provider-entry.ts);
 * - the Automation API (`pulumi.automation`: a program that drives the CLI, not one it runs);
 * - OpenTelemetry's tracer, exporter and instrumentation, used only when the CLI is given a
 *   tracing endpoint (the runner's cmd/run/tracing.js reads them in its `start`).
 *
 * So, when the SDK requires one of them, it gets a stand-in that loads the real module on first
 * use. The module is still resolved at once, so a missing one fails where it did (the SDK's
 * TypeScript shim then falls back to its vendored copy). The stand-in passes every property read
 * and key listing to the real module, and says it is an ES module: TypeScript's `__importStar` then
 * keeps it rather than copying its keys (which would load it), and its `.default` is the module
 * itself, as `__importDefault` would make it. test/fleet/sdk-preload.test.ts checks all this.
 *
 * And the runner (cmd/run/index.js) opens an inspector session and enables V8's debugger before it
 * loads the program, so that a closure serialized later can name the file of each function in an
 * error message. With the debugger on, every script compiled is reported to that session: about
 * 0.2 s of a 10-mirror run. The runner is told the session is ready; the SDK opens it when a closure
 * is first serialized (never, here). A function whose script was compiled before then is named
 * without its file in such an error message: nothing else changes.
 * test/tools/runner-inspector.test.ts checks it on the runner.
 *
 * And two of the program's changes to the SDK (./sdk-changes.ts) are made here, as the SDK loads
 * the module each changes: no per-resource source positions (./sdk-source-positions.cjs) and no
 * debug messages (./sdk-debug-logs.cjs). The runner declares the stack resource before it loads the
 * program, and its source position alone, mapped through the SDK's source maps, plus the debug
 * messages of its registration, were about 0.1 s of CPU in every run (bench/program-scale.ts).
 * test/tools/runner-sdk-changes.test.ts checks it on the runner.
 *
 * And a third as the SDK first requires google-protobuf: its strings written and read by Node's
 * UTF-8 (./sdk-protobuf-strings.cjs). The dynamic provider's process loads this preload too
 * (scripts/pulumi-cli/pulumi-resource-pulumi-nodejs) and runs nothing else of ours before the
 * engine's requests come, each with a host's items: for the docs host of 1000 mirrors 18 MB, which
 * google-protobuf's own code took 0.55 s to write and 0.2 s to read, Node's 0.03 s and 0.01 s.
 */
"use strict";
const Module = require("node:module");
const path = require("node:path");
const { skipSdkSourcePositions } = require("./sdk-source-positions.cjs");
const { skipSdkDebugLogs } = require("./sdk-debug-logs.cjs");
const { nativeProtobufStrings } = require("./sdk-protobuf-strings.cjs");

/** Modules the SDK loads eagerly but a program like this one never uses (see above), as the SDK names them. */
const deferredModules = [
  "typescript",
  "@npmcli/arborist",
  "normalize-package-data",
  "./automation",
  "@opentelemetry/resources",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/sdk-trace-node",
  "@opentelemetry/exporter-zipkin",
  "@opentelemetry/instrumentation",
  "@opentelemetry/instrumentation-grpc",
];
const sdkFile = /[\\/]node_modules[\\/]@pulumi[\\/]pulumi[\\/]/;
/** The runner's module that opens the inspector session at start, as the runner names it. */
const inspectorHooks = "../../runtime/closure/v8Hooks";
const runner = /[\\/]node_modules[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run[\\/]index\.js$/;
const defers = Symbol.for("lyra-fleet's SDK preload is installed");
/** The SDK's modules changed as they load (see above): by the path inside the SDK that loading them resolves to. */
const changedOnLoad = {
  "resource.js": (module) => skipSdkSourcePositions(process.env, module),
  [path.join("log", "index.js")]: (_module, sdkRoot) =>
    skipSdkDebugLogs(process.env, (inside) => require(path.join(sdkRoot, inside))),
};
/** How the SDK requires them: "./resource", "../log", "../../log" and so on. */
const changedRequest = /(^|\/)(resource|log)$/;
const changesOnLoad = Object.keys(changedOnLoad).length;
const changed = new Set();

/** Makes the change for this SDK module if the request loaded one of those above (once each). */
function changeOnLoad(request, parent, isMain, loaded) {
  if (changed.size === changesOnLoad || !changedRequest.test(request)) return;
  if (!parent || !sdkFile.test(parent.filename)) return;
  const file = Module._resolveFilename(request, parent, isMain);
  const inSdk = sdkFile.exec(file);
  if (!inSdk) return; // a package of that name, not the SDK's own module
  const sdkRoot = file.slice(0, inSdk.index + inSdk[0].length - 1); // without the separator after "pulumi"
  const inside = path.relative(sdkRoot, file);
  if (!changedOnLoad[inside] || changed.has(inside)) return;
  // A module required while it is still loading (a cycle) is not all there yet: tried again at the
  // next require of it, and the program's own call (./sdk-changes.ts) comes after all of them.
  if (changedOnLoad[inside](loaded, sdkRoot) !== "kept: the SDK changed") changed.add(inside);
}

let protobufStrings; // what the switch said, once the SDK required google-protobuf

/** Switches google-protobuf's strings to Node's UTF-8 when the SDK first requires it (see above). */
function changeProtobufOnLoad(request, parent, loaded) {
  if (request !== "google-protobuf" || protobufStrings !== undefined) return;
  if (parent && sdkFile.test(parent.filename)) protobufStrings = nativeProtobufStrings(loaded);
}

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
        // is tsx's question, for a require of an ES module; no deferred module is one.)
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
      if (request === inspectorHooks && parent && runner.test(parent.filename)) {
        // The SDK's own copy keeps opening the session on first use (getSessionAsync).
        return { ...load.apply(this, arguments), isInitializedAsync: () => Promise.resolve() };
      }
      if (!deferredModules.includes(request) || !parent || !sdkFile.test(parent.filename)) {
        const loaded = load.apply(this, arguments);
        changeOnLoad(request, parent, isMain, loaded);
        changeProtobufOnLoad(request, parent, loaded);
        return loaded;
      }
      Module._resolveFilename(request, parent, isMain); // throws now if it is missing, as a load would
      return loadOnFirstUse(() => load.call(this, request, parent, isMain));
    },
    { [defers]: true },
  );
}
