/**
 * A bound on the fleet's registrations the engine has not answered yet. The SDK keeps everything
 * of an unanswered registration: the host's items text, its serialized request, and the engine's
 * answer once it comes. A 1000-mirror preview declared every host long before the engine (and the
 * dynamic provider's checks) had answered the first ones, and so held nearly all of them at once:
 * most of its peak memory (bench/cli-preview.ts). With the window, the program declares the next
 * hosts only once enough registrations are answered, and each is let go as it is.
 *
 * An answer is the registration's URN. In `pulumi up` it comes once the resource is applied, and
 * the SDK holds back a registration until those it depends on are answered: every mirror's state
 * waits in the program for the broker, all of them at once without the window
 * (test/program/program.test.ts). With it, a fleet larger than the window declares its next hosts
 * as earlier ones converge. The window is wider than the engine's parallelism (`PULUMI_PARALLEL`
 * in the README), so the engine always has work waiting. A fleet that fits in it never waits.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The SDK's output, with the promise it keeps internally (absent from its type declarations). */
interface PromisedOutput {
  promise?: () => Promise<unknown>;
}

export class RegistrationWindow {
  private unanswered = 0;
  /** Who waits in room(), woken when an answer brings the count down to the limit. */
  private waiting: (() => void)[] = [];

  /** `limit`: how many registrations may stay unanswered when the program declares more. */
  constructor(private readonly limit: number) {}

  /** Counts a declared resource until the engine answers its registration. */
  add(resource: pulumi.Resource): void {
    const urn = resource.urn as unknown as PromisedOutput;
    // An SDK that no longer has the promise: nothing is counted, and the program declares as
    // before the window.
    if (typeof urn.promise !== "function") return;
    this.unanswered++;
    // A failed registration counts as answered: the SDK reports it, as it did before the window.
    const answered = () => {
      this.unanswered--;
      if (this.unanswered > this.limit) return;
      for (const wake of this.waiting.splice(0)) wake();
    };
    urn.promise().then(answered, answered);
  }

  /** Settles once at most `limit` registrations are unanswered, whichever were answered. */
  async room(): Promise<void> {
    while (this.unanswered > this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}
