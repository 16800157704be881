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

  /** Fails with `signal`'s reason as soon as it aborts (at once if it already has). */
  follow(signal: AbortSignal | undefined): void {
    if (signal?.aborted) this.fail(signal.reason);
    else signal?.addEventListener('abort', () => this.fail(signal.reason), { once: true });
  }

  /** Throws the first failure, if any. */
  check(): void {
    if (this.failed) throw this.cause;
  }
}
