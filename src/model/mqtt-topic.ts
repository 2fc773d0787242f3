/**
 * MQTT topic filters as MQTT 3.1.1/5 define them (section 4.7): '+' is a whole level, '#' is a whole
 * level and the last one, no NUL. Each filter is also one line of mosquitto's ACL file, where a
 * line break would start another rule and surrounding spaces would become part of the topic.
 */
import { lineProblem } from "./text";

export const topicExpected =
  "expected an MQTT topic filter, e.g. lyra/presence/+ or lyra/health/# ('+' and '#' only as a whole level, '#' last)";

export function topicFilterProblem(filter: string): string | undefined {
  if (filter === "") return `${topicExpected}; this one is empty`;
  const broken = lineProblem(filter);
  if (broken) return `${topicExpected}; this one ${broken}`;
  if (filter.trim() !== filter) return `${topicExpected}; this one has spaces around it`;
  if (Buffer.byteLength(filter, "utf8") > 65535) return `${topicExpected}; this one is longer than 65535 bytes`;
  const levels = filter.split("/");
  for (const [i, level] of levels.entries()) {
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1))
      return `${topicExpected}; '#' in level ${i + 1} ('${level}')`;
    if (level.includes("+") && level !== "+") return `${topicExpected}; '+' inside level ${i + 1} ('${level}')`;
  }
  return undefined;
}
