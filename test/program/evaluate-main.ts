/**
 * Child-process entry: reads EvaluateOptions as JSON on stdin, evaluates the program under mocks,
 * writes {registrations, outputs} (or {count, outputs} when options.record is false; with
 * mostUnanswered under an applying engine) or {error} as JSON to the file named by argv[2] (stdout
 * would be cut short by the exit the Pulumi runtime's open handles force), with whether the SDK's promises
 * still carry stack traces after the program ran (sdkPromiseStacks), whether its resources still
 * get source positions (sdkSourcePositions), and whether its protobuf strings are still
 * google-protobuf's own code (sdkProtobufStrings).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { evaluateProgram } from "./harness";

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const options = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  let output: unknown;
  try {
    const { registrations, invokes, outputs, mostUnanswered } = await evaluateProgram(
      options,
      join(__dirname, "..", "..", "src", "index.ts"),
    );
    output = {
      ...(typeof registrations === "number" ? { count: registrations } : { registrations }),
      invokes,
      outputs,
      mostUnanswered,
    };
  } catch (err) {
    output = { error: { name: (err as Error).name, message: (err as Error).message, stack: (err as Error).stack } };
  }
  writeFileSync(
    process.argv[2],
    JSON.stringify({
      ...(output as object),
      sdkPromiseStacks: await sdkPromiseStacks(),
      sdkSourcePositions: sdkSourcePositions(),
      sdkProtobufStrings: sdkProtobufStrings(),
    }),
  );
  // The Pulumi runtime keeps handles open; the evaluation is complete.
  process.exit(0);
}

/** Whether the SDK still finds a resource's source position in the stack (the program turns that off). */
function sdkSourcePositions(): boolean {
  const { Resource } = require("@pulumi/pulumi/resource");
  return Resource.stackTrace(0).length > 0;
}

/**
 * Whether the SDK's messages still encode strings with google-protobuf's own code, which drops a lone
 * surrogate before another character (the program switches to Node's UTF-8, which writes U+FFFD).
 */
function sdkProtobufStrings(): boolean {
  const sdk = join(require.resolve("@pulumi/pulumi/package.json"), "..");
  const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdk] }));
  const bytes = Buffer.from(Struct.fromJavaScript({ text: "a\ud800b" }).serializeBinary());
  return !bytes.includes(Buffer.from("\ufffd", "utf8"));
}

/** Whether a promise the SDK tracks now gets a stack trace (the program turns that off). */
async function sdkPromiseStacks(): Promise<boolean> {
  const probe: Promise<void> & { _debugStackTrace?: string } = Promise.resolve();
  // Awaited, so the SDK's leak check at exit does not count it.
  await require("@pulumi/pulumi/runtime/debuggable").debuggablePromise(probe, "probe");
  return /\n    at /.test(probe._debugStackTrace ?? "");
}

void main();
