/**
 * A host's unit order comes from data (each unit's startsAfter, timers, typed prerequisites), not
 * from reading unit files back. The unit files must still agree with it: here, and only here, the
 * written text is parsed, as the oracle, for the stacks and for placements that move services.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFleet } from "../../src/model/load";
import { planFleet } from "../../src/render";
import { unitsNamedIn } from "../../src/render/systemd";
import { stackFleet } from "../support/stack-fleet";
import type { RawFleet } from "./fixtures";

/** The units of the plan that a unit file's [Unit] section names, read from its text. */
function namedInText(content: string | null, units: string[]): string[] {
  const named = new Set<string>();
  for (const line of (content ?? "").split("\n")) {
    const match = /^(After|Requires|Wants|BindsTo)=(.*)$/.exec(line);
    if (match) for (const name of match[2].split(/\s+/)) if (name) named.add(name);
  }
  return units.filter((u) => named.has(u)).sort();
}

const services = (raw: RawFleet, host: string, add: Record<string, unknown>) => {
  raw.hosts[host].services = { ...(raw.hosts[host].services ?? {}), ...add };
};
const variants: [string, string, (raw: RawFleet) => void][] = [
  ["home", "home", () => {}],
  ["lab", "lab", () => {}],
  ["native broker", "home", (raw) => services(raw, "vega", { "mqtt-broker": { mode: "native" } })],
  [
    "everything on vega",
    "home",
    (raw) => {
      services(raw, "vega", {
        "mqtt-broker": { mode: "native" },
        "lyra-orchestrator": {},
        qdrant: {},
        nodered: {},
        "mqtt-client": {},
        "lyra-client": {},
        "stt-service": {},
      });
      services(raw, "lyra", {
        "lyra-orchestrator": { enabled: false },
        qdrant: { enabled: false },
        nodered: { enabled: false },
      });
    },
  ],
];

for (const [name, stack, change] of variants) {
  test(`${name}: every unit starts after the units of its host its file names`, () => {
    const raw = stackFleet(stack);
    change(raw);
    for (const plan of planFleet(parseFleet(raw, `stacks/Pulumi.${stack}.yaml`))) {
      const names = plan.units.map((u) => u.name);
      for (const unit of plan.units) {
        for (const before of namedInText(unit.content, names))
          assert.ok(plan.unitOrder[unit.name].includes(before), `${plan.host}: ${unit.name} after ${before}`);
      }
    }
  });
}

test("unitsNamedIn reads the section object: strings split on spaces, arrays, the four keys only", () => {
  assert.deepEqual(
    unitsNamedIn({
      Description: "x y",
      After: "a.service network-online.target",
      Wants: ["b.service", "c.service d.service"],
      Before: "e.service",
    }),
    ["a.service", "b.service", "c.service", "d.service", "network-online.target"],
  );
});
