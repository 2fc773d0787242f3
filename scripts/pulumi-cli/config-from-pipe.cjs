// Preloaded by pulumi-language-nodejs into the program's node: the stack's config and its secret
// keys arrive as JSON on file descriptor 3 instead of in PULUMI_CONFIG and
// PULUMI_CONFIG_SECRET_KEYS. Linux caps one environment string at 128 KiB (MAX_ARG_STRLEN), which
// a fleet of a few hundred mirrors exceeds: node would not start at all ("argument list too
// long", pulumi/pulumi#8680). The SDK reads both variables once its runtime loads, after this.
const fs = require("fs");
const { config, secretKeys } = JSON.parse(fs.readFileSync(3, "utf8"));
fs.closeSync(3);
process.env.PULUMI_CONFIG = config;
process.env.PULUMI_CONFIG_SECRET_KEYS = secretKeys;
