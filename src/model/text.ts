/**
 * What a line of a unit or config file can hold. Every string the stack hands to a file on a host
 * is one line: a line break would start a new directive (another ExecStartPre=, another ACL rule),
 * and other control characters are read differently by every parser that meets them.
 */

/** C0 and C1 controls, DEL, and Unicode's line and paragraph separators. */
const controlCharacter = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** What is wrong with a value meant for one line of a file, or undefined when it is fine. */
export function lineProblem(value: string): string | undefined {
  if (/[\r\n\u2028\u2029\u0085]/.test(value)) return "holds a line break (expected one line)";
  if (controlCharacter.test(value)) return "holds a control character (expected printable text)";
  return undefined;
}
