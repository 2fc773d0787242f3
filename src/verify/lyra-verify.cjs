#!/usr/bin/env node
// The `lyra-verify` bin: runs the TypeScript CLI through tsx's require hook, so a checkout needs
// no build step. Stacks are found under ./stacks, so run it from the project root (as npm does).
require("tsx/cjs");
const { main, quietOnClosedPipe } = require("../cli/verify.ts");
quietOnClosedPipe();
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
