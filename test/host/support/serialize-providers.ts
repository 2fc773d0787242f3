/**
 * Writes the provider text each host resource carries (its entry, src/host/resources/provider-entry.ts)
 * to <outdir>/<name>.js. Run it with Pulumi.yaml's node arguments (the program loader), the way
 * the Pulumi CLI loads the program.
 */
import * as fs from "fs";
import * as path from "path";
import { aptPackagesEntry } from "../../../src/host/resources/apt-packages";
import { directoryEntry } from "../../../src/host/resources/directory";
import { fileEntry } from "../../../src/host/resources/file";
import { healthGateEntry } from "../../../src/host/resources/health-gate";
import { hostStateEntry } from "../../../src/host/resources/host-state";
import { systemdUnitEntry } from "../../../src/host/resources/systemd-unit";

async function main(outdir: string): Promise<void> {
  // Not serialized: the text each resource carries.
  const entries = {
    file: fileEntry,
    directory: directoryEntry,
    systemdUnit: systemdUnitEntry,
    aptPackages: aptPackagesEntry,
    hostState: hostStateEntry,
    healthGate: healthGateEntry,
  };
  for (const [name, text] of Object.entries(entries)) fs.writeFileSync(path.join(outdir, `${name}.js`), text);
}

main(process.argv[2]).catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
