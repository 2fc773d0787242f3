/**
 * How node loads the program the Pulumi CLI runs (Pulumi.yaml's nodeargs, after ./sdk-preload.cjs):
 * a .ts file is loaded as one bundle of it and everything of this project it imports
 * (./program-bundle.cjs: built by esbuild, cached while its inputs are unchanged).
 *
 * Why not tsx, as before: tsx compiles one file at a time, and its hooks sit in front of every
 * `require` the process makes, the SDK's hundreds included. That was about 0.4 s of every program
 * run (bench/program-scale.ts).
 *
 * The bundle is compiled under the entry's own name, so the entry's __filename and __dirname are
 * its own; every other module in the bundle sees the entry's too, which is why src/ uses neither
 * (test/fleet/program-loader.test.ts checks).
 */
"use strict";
// The program's heap grows by at most half between full collections (./program-heap.cjs).
require("./program-heap.cjs");
const Module = require("node:module");
const { cachedBundle } = require("./program-bundle.cjs");

// Each .ts file that node itself is asked to load is an entry of its own bundle. The CLI's program
// process has one, src/index.ts; a second entry (a test harness that requires the program) would
// hold its own copies of any project module the two share.
Module._extensions[".ts"] = function loadTypeScript(module, filename) {
  process.setSourceMapsEnabled(true);
  const code = cachedBundle(filename);
  showSourceMapSupport(filename, code);
  module._compile(code, filename);
};

/**
 * The SDK's runner formats stack traces with source-map-support, in place of node's own mapping,
 * and the SDK takes each resource's source position from them. source-map-support looks for a
 * frame's source map in the frame's file as it is on disk: for the entry, the .ts source, which
 * has none. So, when the runner has loaded it, it is shown the code that really runs there.
 */
function showSourceMapSupport(filename, code) {
  let loaded;
  try {
    loaded = require.cache[require.resolve("source-map-support", { paths: [require.resolve("@pulumi/pulumi")] })];
  } catch {
    return; // no SDK here: node's own mapping applies
  }
  if (!loaded) return;
  loaded.exports.install({
    retrieveFile: (path) => (path === filename ? code : null),
    handleUncaughtExceptions: false,
  });
}
