/**
 * The mock engine answering registrations as the real one does in `pulumi up`: a registration is
 * answered once its resource is applied, at most `parallel` at a time (the CLI's --parallel), each
 * taking `applyMs`. The SDK itself holds back a registration until those it depends on are
 * answered, as under the real engine. Counts the most registrations the program had unanswered at
 * once: what the fleet's registration window (src/fleet/registration-window.ts) bounds.
 */

export interface ApplyingEngine {
  parallel: number;
  applyMs: number;
}

type Callback = (err: unknown, res: unknown) => void;
interface Monitor {
  registerResource(req: unknown, callback: Callback): void;
}

/** Wraps the mock monitor's registerResource; returns the count of the most unanswered at once. */
export function answerAsApplied(monitor: Monitor, engine: ApplyingEngine): () => number {
  let unanswered = 0;
  let most = 0;
  let applying = 0;
  const waiting: (() => void)[] = [];
  const apply = async () => {
    if (applying < engine.parallel) applying++;
    else await new Promise<void>((resolve) => waiting.push(resolve)); // its slot is handed over
    await new Promise((resolve) => setTimeout(resolve, engine.applyMs));
    const next = waiting.shift();
    if (next) next();
    else applying--;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    most = Math.max(most, ++unanswered);
    register(req, (err, res) => {
      void apply().then(() => {
        unanswered--;
        callback(err, res);
      });
    });
  };
  return () => most;
}
