/** Fixtures for the Vega renderers' tests (broker, config source, Prometheus): stack variants and lookups. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { Fleet } from "../../src/model/fleet";
import { fleetConfigKey, parseFleet } from "../../src/model/load";
import type { ServiceId, ServiceSettings } from "../../src/model/services";
import type { ServiceRenderer } from "../../src/render/context";
import type { PlanFragment, PlannedFile, PlannedUnit } from "../../src/render/plan";

export const projectRoot = join(__dirname, "..", "..");

/** The home stack's fleet object, changed by `change`, then validated like any stack. */
export function homeFleet(change: (raw: any) => void = () => {}): Fleet {
  const raw = structuredClone(parse(readFileSync(join(projectRoot, "stacks/Pulumi.home.yaml"), "utf8")).config[fleetConfigKey]);
  change(raw);
  return parseFleet(raw, "test-stack.yaml");
}

/** The home fleet with the broker running natively (the lab's mode). */
export const nativeHomeFleet = (): Fleet =>
  homeFleet((raw) => {
    raw.hosts.vega.services = { ...raw.hosts.vega.services, "mqtt-broker": { mode: "native" } };
  });

/** One renderer's fragment for one host. */
export function fragmentOf<S extends ServiceId>(render: ServiceRenderer<S>, service: S, fleet: Fleet, hostName = "vega"): PlanFragment {
  const host = fleet.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`no host ${hostName}`);
  const settings = host.services[service];
  if (!settings) throw new Error(`${hostName} does not run ${service}`);
  return render({ fleet, host, settings: settings as ServiceSettings[S] });
}

export function fileAt(fragment: PlanFragment, path: string): PlannedFile {
  const file = fragment.files?.find((f) => f.path === path);
  if (!file) throw new Error(`no file ${path}; files: ${fragment.files?.map((f) => f.path).join(", ")}`);
  return file;
}

export function unitNamed(fragment: PlanFragment, name: string): PlannedUnit {
  const unit = fragment.units?.find((u) => u.name === name);
  if (!unit) throw new Error(`no unit ${name}; units: ${fragment.units?.map((u) => u.name).join(", ")}`);
  return unit;
}

/** Every value of `key` in `[section]` of a unit file, in order (keys may repeat). */
export function unitValues(content: string, section: string, key: string): string[] {
  let current = "";
  const values: string[] = [];
  for (const line of content.split("\n")) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1];
    else if (current === section && line.startsWith(`${key}=`)) values.push(line.slice(key.length + 1));
  }
  return values;
}

/** Test passwords, one per secret key, recognisable in any output they leak into. */
export function testSecrets(keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, `T3st-${k}-Pw`]));
}
