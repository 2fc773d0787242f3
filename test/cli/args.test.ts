/** The CLIs' shared argument parser: what it takes, and the mistakes it names instead of guessing. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { commaList, parseArgs, UsageError } from "../../src/cli/args";

const spec = { values: ["stack", "host"], switches: ["json"] };

test("values, inline values and switches are read", () => {
  const { values, switches } = parseArgs(["--stack", "home", "--host=vega", "--json"], spec);
  assert.deepEqual(values, { stack: "home", host: "vega" });
  assert.deepEqual([...switches], ["json"]);
});

test("a switch given twice is still one switch", () => {
  assert.deepEqual([...parseArgs(["--json", "--json"], spec).switches], ["json"]);
});

for (const [argv, message] of [
  [["--stack"], /^--stack needs a value$/],
  [["--stack", "--json"], /^--stack needs a value$/],
  // An unset shell variable (`--host "$HOST"`) would otherwise mean "every host".
  [["--host", ""], /^--host needs a value, not an empty one$/],
  [["--host="], /^--host needs a value, not an empty one$/],
  [["--stack", "home", "--stack", "lab"], /^--stack is given twice \('home' and 'lab'\): give it once$/],
  [["--stack=home", "--stack", "home"], /^--stack is given twice/],
  [["--bogus"], /^unknown option '--bogus'$/],
  [["home"], /^unexpected argument 'home'$/],
] as const) {
  test(`${JSON.stringify(argv)} is refused, naming the mistake`, () => {
    assert.throws(
      () => parseArgs([...argv], spec),
      (err: unknown) => err instanceof UsageError && message.test(err.message),
    );
  });
}

test("a comma list is its names, trimmed; absent, none", () => {
  assert.deepEqual(commaList("host", "vega, mirror-1"), ["vega", "mirror-1"]);
  assert.deepEqual(commaList("host", undefined), []);
});

for (const value of ["vega,", ",vega", "vega,,mirror-1", ",", " , "]) {
  // `--host ,` left as no names would have selected every host.
  test(`a comma list with an empty name (${JSON.stringify(value)}) is refused, naming the flag and the value`, () => {
    assert.throws(
      () => commaList("host", value),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === `--host: an empty name in '${value}' (expected names separated by commas, e.g. vega,mirror-1)`,
    );
  });
}
