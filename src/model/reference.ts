/**
 * The configuration reference table of service settings, generated from the schemas so the
 * README cannot drift from the code (a test compares them).
 */
import { serviceSchemas } from "./services";

function describeDefault(value: unknown): string {
  if (value === undefined || (typeof value === "object" && value !== null)) return "";
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects returned above
  return ` (${String(value)})`;
}

export function serviceReferenceTable(): string {
  const rows = ["| service | settings (default) |", "|---|---|"];
  for (const id of Object.keys(serviceSchemas).sort() as (keyof typeof serviceSchemas)[]) {
    const schema = serviceSchemas[id];
    const defaults = schema.parse({}) as Record<string, unknown>;
    const settings = Object.keys(schema.shape).map((key) => `\`${key}\`${describeDefault(defaults[key])}`);
    rows.push(`| \`${id}\` | ${settings.join(", ")} |`);
  }
  return rows.join("\n");
}
