/**
 * The single owner of a pipeline's failure: the first stage to fail names the cause, and every other stage is
 * torn down through one AbortSignal, so a later, derived error (a broken pipe, a killed child) never hides it.
 */
export class FailureOwner {
  private readonly controller = new AbortController();
  private cause: unknown;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get failed(): boolean {
    return this.controller.signal.aborted;
  }

  fail(error: unknown): void {
    if (this.failed) return;
    this.cause = error;
    this.controller.abort(error);
  }

  /** Throws the first failure, if any. */
  check(): void {
    if (this.failed) throw this.cause;
  }
}
