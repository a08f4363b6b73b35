/**
 * A circuit breaker for one model server: `closed` lets every call through; after
 * `failureThreshold` consecutive failures it is `open` and refuses calls at once (no waiting on a
 * dead server); after `cooldownMs` the next call is a trial (`half-open`, one at a time): success
 * closes it, failure opens it for another cooldown. Only failures that mean "the server is not
 * answering" count; the caller decides which those are.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  /** The clock, replaceable in tests so they never wait. */
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialRunning = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (options.failureThreshold < 1) throw new Error('failureThreshold must be at least 1');
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Runs `call` unless the breaker refuses it (CircuitOpenError). `isFailure` picks the errors that count. */
  async run<T>(call: () => Promise<T>, isFailure: (error: unknown) => boolean): Promise<T> {
    const trial = this.admit();
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (isFailure(error)) this.failed(trial);
      else this.succeeded(trial); // the server answered (e.g. a 400): it is up
      throw error;
    }
    this.succeeded(trial);
    return result;
  }

  /** Returns whether this call is the half-open trial; throws when the call is refused. */
  private admit(): boolean {
    if (this.current === 'closed') return false;
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.options.cooldownMs) throw new CircuitOpenError('circuit open: the model server failed repeatedly');
      this.set('half-open');
    }
    // half-open: exactly one trial at a time; the others are refused until it settles.
    if (this.trialRunning) throw new CircuitOpenError('circuit half-open: a trial request is running');
    this.trialRunning = true;
    return true;
  }

  private succeeded(trial: boolean): void {
    if (trial) this.trialRunning = false;
    this.failures = 0;
    if (this.current !== 'closed') this.set('closed');
  }

  private failed(trial: boolean): void {
    if (trial) this.trialRunning = false;
    this.failures++;
    if (trial || (this.current === 'closed' && this.failures >= this.options.failureThreshold)) {
      this.openedAt = this.now();
      this.set('open');
    }
  }

  private set(state: BreakerState): void {
    if (state === this.current) return;
    this.current = state;
    this.options.onStateChange?.(state);
  }
}
