/**
 * Serializes the host providers exactly as `new pulumi.dynamic.Resource(...)` does, and writes
 * each module text to <outdir>/<name>.js. Run it with Pulumi.yaml's node arguments (`node -r
 * tsx/cjs`), the way the Pulumi CLI loads the program. HostState and HealthGate are serialized as
 * the program serializes them: their entries (src/host/resources/provider-entry.ts).
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { aptPackagesProvider } from "../../../src/host/resources/apt-packages";
import { directoryProvider } from "../../../src/host/resources/directory";
import { fileProvider } from "../../../src/host/resources/file-provider";
import { healthGateEntry } from "../../../src/host/resources/health-gate";
import { hostStateEntry } from "../../../src/host/resources/host-state";
import { systemdUnitProvider } from "../../../src/host/resources/systemd-unit-provider";

async function main(outdir: string): Promise<void> {
  const providers = {
    file: fileProvider,
    directory: directoryProvider,
    systemdUnit: systemdUnitProvider,
    aptPackages: aptPackagesProvider,
  };
  for (const [name, provider] of Object.entries(providers)) {
    // Same call as @pulumi/pulumi/dynamic's serializeProvider.
    const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    fs.writeFileSync(path.join(outdir, `${name}.js`), serialized.text);
  }
  // Not serialized: the text each resource carries.
  fs.writeFileSync(path.join(outdir, "hostState.js"), hostStateEntry);
  fs.writeFileSync(path.join(outdir, "healthGate.js"), healthGateEntry);
}

main(process.argv[2]).catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
