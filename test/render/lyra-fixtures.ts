/** Fixtures for the Lyra renderers' tests: variants of the home stack, one renderer's fragment, unit parsing. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Fleet } from "../../src/model/fleet";
import { fleetConfigKey, parseFleet } from "../../src/model/load";
import type { ServiceId, ServiceSettings } from "../../src/model/services";
import type { ServiceRenderer } from "../../src/render/context";
import type { PlanFragment, PlannedFile, PlannedUnit } from "../../src/render/plan";

/** The stack object before validation: deliberately loose, tests change any field. */
export type RawFleet = any;

/** The home stack's fleet object, parsed, changed by `change`, then validated like any stack. */
export function homeFleetWith(change: (raw: RawFleet) => void = () => {}): Fleet {
  const raw = structuredClone(parse(readFileSync("stacks/Pulumi.home.yaml", "utf8")).config[fleetConfigKey]);
  change(raw);
  return parseFleet(raw, "test-stack.yaml");
}

/** One renderer's fragment for one host, without the rest of the plan. */
export function fragmentOf<S extends ServiceId>(render: ServiceRenderer<S>, service: S, fleet: Fleet, hostName = "lyra"): PlanFragment {
  const host = fleet.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`no host ${hostName}`);
  const settings = host.services[service];
  if (!settings) throw new Error(`${hostName} does not run ${service}`);
  return render({ fleet, host, settings: settings as ServiceSettings[S] });
}

export function unitNamed(fragment: PlanFragment, name: string): PlannedUnit {
  const unit = fragment.units?.find((u) => u.name === name);
  if (!unit) throw new Error(`no unit ${name}`);
  return unit;
}

export function fileAt(fragment: PlanFragment, path: string): PlannedFile {
  const file = fragment.files?.find((f) => f.path === path);
  if (!file) throw new Error(`no file ${path}; files: ${fragment.files?.map((f) => f.path).join(", ")}`);
  return file;
}

/** Every value of `key` in `[section]` of a unit file, in order (a key may repeat). */
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

/** The single value of `key` in `[section]`; fails when it is missing or repeated. */
export function unitValue(content: string, section: string, key: string): string {
  const values = unitValues(content, section, key);
  if (values.length !== 1) throw new Error(`expected one ${section}.${key}, found ${values.length}: ${values.join(" | ")}`);
  return values[0];
}
