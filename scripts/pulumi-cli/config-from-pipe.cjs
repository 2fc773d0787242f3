// Preloaded by pulumi-language-nodejs into the program's node: the stack's config and its secret
// keys arrive as JSON on file descriptor 3 instead of in PULUMI_CONFIG and
// PULUMI_CONFIG_SECRET_KEYS. Linux caps one environment string at 128 KiB (MAX_ARG_STRLEN), which
// a fleet of a few hundred mirrors exceeds: node would not start at all ("argument list too
// long", pulumi/pulumi#8680). The SDK reads both variables when its runtime first needs a setting.
const fs = require("fs");
const { config, secretKeys } = JSON.parse(fs.readFileSync(3, "utf8"));
fs.closeSync(3);
process.env.PULUMI_CONFIG = config;
process.env.PULUMI_CONFIG_SECRET_KEYS = secretKeys;

// Out of the environment again once the SDK holds them: every process the program starts inherits
// its environment, and there the same cap fails the spawn itself with E2BIG (tsx starting esbuild
// to compile the program on a cold cache, from about 450 mirrors on). The SDK copies both into
// its store (global.globalStore) the first time it needs any setting; the property traps that
// assignment. An SDK that stores them elsewhere never assigns it: the variables then stay, as before.
let store;
Object.defineProperty(globalThis, "globalStore", {
  configurable: true,
  enumerable: false,
  get: () => store,
  set: (value) => {
    store = value;
    delete process.env.PULUMI_CONFIG;
    delete process.env.PULUMI_CONFIG_SECRET_KEYS;
  },
});
