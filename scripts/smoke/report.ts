/** How one step ended. A skipped step did not run: what it needs failed, or the operator asked (`--keep`). */
export type StepOutcome = 'pass' | 'fail' | 'skip';

export type StepResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/**
 * Runs the smoke test's steps one at a time and prints one line for each as it ends: `PASS name (1.2 s)`,
 * `FAIL name: reason` or `SKIP name: reason`. It never throws: a step's error becomes its FAIL line, so the
 * steps after it (cleanup above all) still run.
 */
export class StepReport {
  private readonly outcomes: StepOutcome[] = [];

  constructor(
    private readonly print: (line: string) => void,
    private readonly clock: () => number,
    private readonly reasonOf: (error: unknown) => string,
  ) {}

  /** Runs `action`; `detail` adds what an operator wants to see after PASS (an id, a size). */
  async step<T>(
    name: string,
    action: () => Promise<T>,
    detail?: (value: T) => string | undefined,
  ): Promise<StepResult<T>> {
    const started = this.clock();
    try {
      const value = await action();
      const seconds = ((this.clock() - started) / 1000).toFixed(1);
      const more = detail?.(value);
      this.record('pass', `PASS ${name} (${seconds} s)${more ? `: ${more}` : ''}`);
      return { ok: true, value };
    } catch (error) {
      this.record('fail', `FAIL ${name}: ${this.reasonOf(error)}`);
      return { ok: false };
    }
  }

  skip(name: string, reason: string): void {
    this.record('skip', `SKIP ${name}: ${reason}`);
  }

  /** A line that is not a step (what was kept, what to drop by hand). */
  note(text: string): void {
    this.print(`NOTE ${text}`);
  }

  get failed(): number {
    return this.outcomes.filter((o) => o === 'fail').length;
  }

  /** The closing line and the exit code: 0 only if no step failed (a `--keep` skip is not a failure). */
  finish(): number {
    const count = (o: StepOutcome) => this.outcomes.filter((x) => x === o).length;
    const [passed, failed, skipped] = [count('pass'), count('fail'), count('skip')];
    const tally = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    this.print(failed === 0 ? `smoke test passed (${tally})` : `smoke test FAILED (${tally})`);
    return failed === 0 ? 0 : 1;
  }

  private record(outcome: StepOutcome, line: string): void {
    this.outcomes.push(outcome);
    this.print(line);
  }
}
