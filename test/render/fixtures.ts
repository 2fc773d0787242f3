/**
 * Fixtures for the renderers' tests: the home stack and variants of it, one renderer's fragment on
 * one host, lookups in a fragment, and parsers for what renderers write (unit files, env files).
 * Fleet variants that belong to one role live beside: vega-fixtures.ts, mirror-fixtures.ts.
 */
import { join } from "node:path";
import type { FleetModel } from "../../src/model/fleet";
import { parseFleet } from "../../src/model/load";
import type { ServiceId, ServiceSettings } from "../../src/model/services";
import type { ServiceRenderer } from "../../src/render/context";
import type { PlanFragment, PlannedFile, PlannedUnit } from "../../src/render/plan";
import { secretKeysIn } from "../../src/render/secrets";
import { hardened } from "../../src/render/systemd";
import { stackFleet } from "../support/stack-fleet";

export const projectRoot = join(__dirname, "..", "..");

/** The stack object before validation: deliberately loose, tests change any field. */
export type RawFleet = any;

/** The home stack's fleet object, parsed, changed by `change`, then validated like any stack. */
export function homeFleet(change: (raw: RawFleet) => void = () => {}): FleetModel {
  const raw = stackFleet("home");
  change(raw);
  return parseFleet(raw, "test-stack.yaml");
}

/** One renderer's fragment for one host, without the rest of the plan. */
export function fragmentOf<S extends ServiceId>(
  render: ServiceRenderer<ServiceSettings[S]>,
  service: S,
  fleet: FleetModel,
  hostName: string,
): PlanFragment {
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

/** A planned unit: a unit file of its own, or a packaged unit (content null, maybe a drop-in). */
export function unitNamed(fragment: PlanFragment, name: string): PlannedUnit {
  const unit = fragment.units?.find((u) => u.name === name);
  if (!unit) throw new Error(`no unit ${name}; units: ${fragment.units?.map((u) => u.name).join(", ")}`);
  return unit;
}

/** The unit file a fragment writes for `name`; fails for a packaged unit, which has none. */
export function unitFile(fragment: PlanFragment, name: string): string {
  const { content } = unitNamed(fragment, name);
  if (content === null) throw new Error(`no unit file ${name}: a packaged unit`);
  return content;
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
  if (values.length !== 1) throw new Error(`expected one ${key}= in [${section}], found ${values.length}:\n${content}`);
  return values[0];
}

/**
 * How a unit's [Service] differs from the hardened() baseline: each baseline key whose rendered
 * values differ, with the rendered values. Tests pin this map, so a new relaxation must be deliberate.
 */
export function hardeningDeviations(content: string): Record<string, string[]> {
  const deviations: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(hardened())) {
    if (value === undefined) continue;
    const expected = (Array.isArray(value) ? value : [value]).map((v) =>
      typeof v === "boolean" ? (v ? "yes" : "no") : String(v),
    );
    const actual = unitValues(content, "Service", key);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) deviations[key] = actual;
  }
  return deviations;
}

/** KEY=value lines of an environment file (no quoting is used by these renderers). */
export function envEntries(content: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const line of content.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`not a KEY=value line: '${line}'`);
    entries[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return entries;
}

/** Every text a fragment renders (files and units), for leak checks. */
export function renderedTexts(fragment: PlanFragment): string[] {
  return [
    ...(fragment.files ?? []).map((f) => f.content),
    ...(fragment.units ?? []).map((u) => `${u.content ?? ""}${u.dropIn ?? ""}`),
  ];
}

/** Files that carry a secret token. */
export function secretFiles(fragment: PlanFragment): PlannedFile[] {
  return (fragment.files ?? []).filter((f) => secretKeysIn(f.content).length > 0);
}
