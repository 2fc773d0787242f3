/**
 * The live table on a terminal: every check's row, updated in place as results land, and a
 * progress line. Lines are cut to the terminal's width while live (a wrapped line would break the
 * cursor arithmetic); the block is then erased and the full table printed once, uncut.
 */
import { columnsFor, headerRow, row, scrub, type Columns, type Style } from "./format";
import type { CheckResult, VerifyCheck } from "./types";

export class LiveTable {
  private results: (CheckResult | undefined)[] = [];
  private drawn = 0;
  private started = 0;
  private timer?: NodeJS.Timeout;
  private run = 1;
  private readonly cols: Columns;
  private readonly style: Style = { color: true };

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly checks: readonly VerifyCheck[],
    private readonly secrets: readonly string[],
  ) {
    this.cols = columnsFor(checks);
  }

  start(run: number): void {
    this.run = run;
    this.results = this.checks.map(() => undefined);
    this.started = Date.now();
    this.draw();
    // Elapsed time moves even while no result lands.
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
  }

  update(result: CheckResult, index: number): void {
    this.results[index] = result;
    this.draw();
  }

  /** Erases the live block; the caller prints the final table. */
  stop(): void {
    clearInterval(this.timer);
    this.erase();
  }

  private fitsScreen(): boolean {
    return this.checks.length + 2 < (this.out.rows || 24);
  }

  private progress(): string {
    const done = this.results.filter(Boolean).length;
    const failed = this.results.filter((r) => r && !r.ok).length;
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
    const run = this.run > 1 ? `run ${this.run}: ` : "";
    return `${run}${done}/${this.checks.length} checks done, ${failed} failed, ${elapsed} s`;
  }

  private lines(): string[] {
    if (!this.fitsScreen()) return [this.progress()];
    return [
      headerRow(this.cols),
      ...this.checks.map((vc, i) => row(vc, this.results[i], this.cols, this.style)),
      this.progress(),
    ];
  }

  private erase(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    const width = Math.max(20, (this.out.columns || 80) - 1);
    const cut = (line: string) => {
      // Measure without colour codes; cut plain text only (a cut colour code would bleed).
      const plain = line.replace(/\x1b\[[0-9;]*m/g, "");
      return plain.length <= width ? line : plain.slice(0, width - 1) + "…";
    };
    const lines = this.lines().map((l) => cut(scrub(l, this.secrets)));
    this.erase();
    this.out.write(lines.join("\n") + "\n");
    this.drawn = lines.length;
  }
}
