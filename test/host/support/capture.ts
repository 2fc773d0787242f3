/**
 * Captures what is logged while a function runs (for asserting that a secret appears in no log
 * line), with the host layer's debug logging switched on: stderr (where the host layer and the
 * dynamic provider host write) and console.log/error. process.stdout itself is left alone: the
 * test runner reports through it.
 */
export async function captureOutput<T>(
  run: () => Promise<T>,
): Promise<{ result?: T; error?: unknown; output: string }> {
  const chunks: string[] = [];
  const originalStderr = process.stderr.write.bind(process.stderr);
  const originalConsoleError = console.error;
  const originalConsoleLog = console.log;
  const record = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  const previousDebug = process.env.LYRA_HOST_DEBUG;
  process.env.LYRA_HOST_DEBUG = "1";
  process.stderr.write = record;
  console.error = (...args: unknown[]) => chunks.push(args.map(String).join(" "));
  console.log = (...args: unknown[]) => chunks.push(args.map(String).join(" "));
  try {
    return { result: await run(), output: chunks.join("") };
  } catch (error) {
    // What the dynamic provider host prints for a failed operation: `${e}: ${e.stack}`.
    chunks.push(`${String(error)}: ${(error as Error)?.stack ?? ""}`);
    return { error, output: chunks.join("\n") };
  } finally {
    process.stderr.write = originalStderr;
    console.error = originalConsoleError;
    console.log = originalConsoleLog;
    if (previousDebug === undefined) delete process.env.LYRA_HOST_DEBUG;
    else process.env.LYRA_HOST_DEBUG = previousDebug;
  }
}
