/**
 * The program `pulumi up` runs (./program.ts), loaded once the engine has been asked to start the
 * host resources' provider (./fleet/provider-warmup.ts): the provider starts while the program
 * loads and plans the fleet. What the runner waits for is the stack's outputs, as the program
 * exports them; an invalid stack rejects them before any resource of the fleet exists.
 */
import { startDynamicProvider } from "./fleet/provider-warmup";

// A require, not import(): every loader the CLI may run the program under (the project's bundle,
// tsx, ts-node) keeps it CommonJS, where ts-node left an import() to node's ES module loader.
export = startDynamicProvider().then(() => (require("./program") as typeof import("./program")).declareStack());
