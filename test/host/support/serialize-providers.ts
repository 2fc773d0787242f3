/**
 * Serializes the host providers exactly as `new pulumi.dynamic.Resource(...)` does, and writes
 * each module text to <outdir>/<name>.js. Run it under ts-node (`node -r ts-node/register`), the
 * way the Pulumi CLI loads a TypeScript program.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { aptPackagesProvider } from "../../../src/host/resources/apt-packages";
import { directoryProvider } from "../../../src/host/resources/directory";
import { fileProvider } from "../../../src/host/resources/file-provider";
import { healthGateProvider } from "../../../src/host/resources/health-gate-provider";
import { hostStateProvider } from "../../../src/host/resources/host-state-provider";
import { systemdUnitProvider } from "../../../src/host/resources/systemd-unit-provider";

async function main(outdir: string): Promise<void> {
  const providers = {
    file: fileProvider,
    directory: directoryProvider,
    systemdUnit: systemdUnitProvider,
    aptPackages: aptPackagesProvider,
    hostState: hostStateProvider,
    healthGate: healthGateProvider,
  };
  for (const [name, provider] of Object.entries(providers)) {
    // Same call as @pulumi/pulumi/dynamic's serializeProvider.
    const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    fs.writeFileSync(path.join(outdir, `${name}.js`), serialized.text);
  }
}

main(process.argv[2]).catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
