/**
 * Has the engine start the Node.js dynamic provider (the process that checks, diffs and applies
 * every host resource) while the program loads, not once its first host is declared.
 *
 * The engine starts that provider for the first request that needs it, and each operation starts
 * its own: in `pulumi up` the refresh's provider is gone when the update begins. Starting it (node,
 * the SDK, this project's provider code) takes about 0.35 s, and all of it lay on the way to the
 * answer to the first host's registration, which the others wait for (they depend on the broker's
 * host). Meanwhile the program loads its modules and plans the fleet, about as long again.
 *
 * What starts it is a call of a function the dynamic provider does not have: the engine starts a
 * package's provider to answer an invoke, and the provider answers "unknown function", an error
 * that is dropped and that the CLI does not show. The call's only effect is the start: if an engine
 * stops starting providers for it, the program runs as it did before.
 */
import * as pulumi from "@pulumi/pulumi";

/** A function of the dynamic provider's package that it does not implement. */
export const DYNAMIC_PROVIDER_WARMUP_TOKEN = "pulumi-nodejs:dynamic:startProvider";

/**
 * Asks for the provider; settles once the request is on its way. The call reaches the engine only
 * when the event loop turns: made at the program's start with nothing after it, it went out once
 * the program had loaded and planned, and with one turn of the loop after it, at once (10 mirrors,
 * traced; two turns here, for a margin of one). So the program loads after this settles
 * (../index.ts).
 */
export async function startDynamicProvider(): Promise<void> {
  pulumi.runtime.invoke(DYNAMIC_PROVIDER_WARMUP_TOKEN, {}).catch(() => undefined);
  for (let turn = 0; turn < 2; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}
