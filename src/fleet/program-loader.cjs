/**
 * How node loads the program the Pulumi CLI runs (Pulumi.yaml's nodeargs, after ./sdk-preload.cjs):
 * a .ts file is loaded as one bundle of it and everything of this project it imports
 * (./program-bundle.cjs: built by esbuild, cached while its inputs are unchanged).
 *
 * Why not tsx, as before: tsx compiles one file at a time, and its hooks sit in front of every
 * `require` the process makes, the SDK's hundreds included. That was about 0.4 s of every program
 * run (bench/program-scale.ts).
 */
"use strict";
const Module = require("node:module");
const { cachedBundle } = require("./program-bundle.cjs");

// Each .ts file that node itself is asked to load is an entry of its own bundle. The CLI's program
// process has one, src/index.ts; a second entry (a test harness that requires the program) would
// hold its own copies of any project module the two share.
Module._extensions[".ts"] = function loadTypeScript(module, filename) {
  process.setSourceMapsEnabled(true);
  module._compile(cachedBundle(filename), filename);
};
