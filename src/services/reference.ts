/**
 * The README's configuration reference: every option of every registered service, its default
 * and its description, generated from the modules' schemas so the README cannot drift from the
 * code (test/cli/readme.test.ts compares them).
 */
import type { z } from "zod";
import { serviceModules } from "./registry";

function describeDefault(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "object" && value !== null)
    return Object.keys(value).length === 0 ? (Array.isArray(value) ? "`[]`" : "`{}`") : "";
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects returned above
  return `\`${String(value)}\``;
}

/** Table cells may not hold a bare `|` or a line break. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function serviceReferenceTable(): string {
  const rows = ["| service | option | default | what it does |", "|---|---|---|---|"];
  const modules = [...serviceModules()].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const module of modules) {
    const defaults = module.options.parse({}) as Record<string, unknown>;
    for (const [key, option] of Object.entries(module.options.shape as Record<string, z.ZodType>)) {
      rows.push(
        `| \`${module.id}\` | \`${key}\` | ${describeDefault(defaults[key])} | ${cell(option.description ?? "")} |`,
      );
    }
  }
  return rows.join("\n");
}

/** Options without a description: every option needs one (a test holds each module to it). */
export function undescribedOptions(): string[] {
  return serviceModules().flatMap((module) =>
    Object.entries(module.options.shape as Record<string, z.ZodType>)
      .filter(([, option]) => !option.description)
      .map(([key]) => `${module.id}.${key}`),
  );
}
