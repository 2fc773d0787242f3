// Preloaded (NODE_OPTIONS=--require) into every Node.js process of a benchmarked `pulumi up`; acts
// only in the program's own process, the one running @pulumi/pulumi/cmd/run. When that process
// exits it appends to LYRA_PROGRAM_CLOCK_LOG, as JSON, when node started and when the program's
// main module had been loaded and run (SDK start-up, the loader's bundling, and the evaluation
// that declares every resource, until the promise the module exports settles), in epoch
// milliseconds: the program's share of the run, measured under exactly the loader the CLI uses.
// Also when it exited (every registration answered by the engine), its peak RSS and its CPU time.
"use strict";
const log = process.env.LYRA_PROGRAM_CLOCK_LOG;
const isProgram = process.argv.some((arg) => /@pulumi[\\/]pulumi[\\/]cmd[\\/]run([\\/]|$)/.test(arg));
if (log && isProgram) {
  const Module = require("node:module");
  const { appendFileSync } = require("node:fs");
  const { performance } = require("node:perf_hooks");
  const { isAbsolute } = require("node:path"); // not inside the hook: require would call it again
  const originalLoad = Module._load;
  let seen = false;
  // The program's main is what the SDK's runner (cmd/run/run.js) requires from outside
  // node_modules: src/index.ts, or whatever the project's main compiles to. Everything it loads
  // happens inside this call. (Not simply the first such module: the loader that Pulumi.yaml's
  // nodeargs preload loads its own helpers from the project, before the program.)
  const runner = /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run[\\/]run\.js$/;
  Module._load = function (request, parent, isMain) {
    if (seen || !runner.test(parent?.filename ?? "")) return originalLoad.apply(this, arguments);
    let file;
    try {
      file = Module._resolveFilename(request, parent, isMain);
    } catch {
      return originalLoad.apply(this, arguments);
    }
    if (!isAbsolute(file) || /[\\/]node_modules[\\/]/.test(file)) return originalLoad.apply(this, arguments);
    // Passes through from now on, but stays in the chain: the hooks installed after this one (the
    // SDK preload's, which keeps TypeScript's compiler unloaded) wrap it, and putting the original
    // back would drop them for every module loaded after the program starts.
    seen = true;
    const loadStartMs = Date.now();
    let exported;
    try {
      exported = originalLoad.apply(this, arguments);
      return exported;
    } finally {
      const record = { file, startedMs: performance.timeOrigin, loadStartMs, evaluatedMs: Date.now() };
      // A program that declares its resources in turns exports a promise: evaluated when it settles.
      if (typeof exported?.then === "function") {
        const settled = () => (record.evaluatedMs = Date.now());
        exported.then(settled, settled);
      }
      process.once("exit", () => {
        const usage = process.resourceUsage();
        const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
        const exited = { exitedMs: Date.now(), maxRssKb: usage.maxRSS, cpuMs };
        appendFileSync(log, JSON.stringify({ ...record, ...exited }) + "\n");
      });
    }
  };
}
