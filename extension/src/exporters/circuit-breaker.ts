/** Settings of a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit refuses attempts before letting one trial through. */
  readonly cooldownMs: number;
  /** The clock; injectable so tests can run on a fake one. */
  readonly now?: () => number;
}

/** `closed`: attempts go through. `open`: refused until the cool-down ends. `half-open`: one trial is out. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Stops calling a backend that keeps failing. After `failureThreshold` consecutive failures the
 * circuit opens and {@link allow} answers false for `cooldownMs`; then one trial attempt goes
 * through (half-open): its success closes the circuit, its failure opens it for another
 * cool-down. Without it a backend that is down costs every flush its whole budget in retries.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private current: CircuitState = 'closed';
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state; an open circuit whose cool-down has ended turns half-open at the next {@link allow}. */
  get state(): CircuitState {
    return this.current;
  }

  /** Whether an attempt may be made now; in half-open only the one trial is allowed. */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'half-open') return false;
    if (this.now() - this.openedAt < this.options.cooldownMs) return false;
    this.current = 'half-open';
    return true;
  }

  /** The backend answered: the circuit closes and the failure run starts over. */
  recordSuccess(): void {
    this.failures = 0;
    this.current = 'closed';
  }

  /** An attempt failed (error, refusal or no answer in time). */
  recordFailure(): void {
    this.failures++;
    if (this.current === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.current = 'open';
      this.openedAt = this.now();
    }
  }
}
