/**
 * A circuit breaker for one model server, on cockatiel's `circuitBreaker` with a
 * `ConsecutiveBreaker`: `closed` lets every call through; after `failureThreshold` consecutive
 * failures it is `open` and refuses calls at once (no waiting on a dead server); after `cooldownMs`
 * the next call is a trial (`half-open`, one at a time): success closes it, failure opens it for
 * another cooldown. Only failures that mean "the server is not answering" count; the caller decides
 * which those are.
 *
 * Two things are ours on top: cockatiel queues callers behind a half-open trial, but a caller here
 * must fail fast (a job retries later), so they are refused; and cockatiel reads Date.now(), so an
 * injected clock (tests) reaches it through the half-open backoff's duration.
 */
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll, type CircuitBreakerPolicy, type IBackoff } from 'cockatiel';

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

const STATES: Partial<Record<CircuitState, BreakerState>> = { [CircuitState.Closed]: 'closed', [CircuitState.Open]: 'open', [CircuitState.HalfOpen]: 'half-open' };

/** A cooldown measured on `now()` instead of Date.now(): cockatiel half-opens once Date.now() - openedAt >= duration. */
function cooldownOn(now: () => number, cooldownMs: number): IBackoff<unknown> {
  const backoff = {
    next(): IBackoff<unknown> {
      const openedAt = now();
      const openedAtWall = Date.now();
      return { next: backoff.next, get duration() { return openedAt + cooldownMs - now() + (Date.now() - openedAtWall); } };
    },
    duration: cooldownMs,
  };
  return backoff;
}

/** A failure that must not count travels through the policy as a value, then is thrown again. */
class Passed {
  constructor(readonly error: unknown) {}
}

export class CircuitBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private current: BreakerState = 'closed';

  constructor(options: CircuitBreakerOptions) {
    if (options.failureThreshold < 1) throw new Error('failureThreshold must be at least 1');
    this.policy = circuitBreaker(handleAll, {
      halfOpenAfter: options.now ? cooldownOn(options.now, options.cooldownMs) : options.cooldownMs,
      breaker: new ConsecutiveBreaker(options.failureThreshold),
    });
    this.policy.onStateChange((state) => {
      const named = STATES[state];
      if (!named || named === this.current) return;
      this.current = named;
      options.onStateChange?.(named);
    });
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Runs `call` unless the breaker refuses it (CircuitOpenError). `isFailure` picks the errors that count. */
  async run<T>(call: () => Promise<T>, isFailure: (error: unknown) => boolean): Promise<T> {
    // Half-open: exactly one trial at a time; the others are refused, not queued behind it.
    if (this.policy.state === CircuitState.HalfOpen) throw new CircuitOpenError('circuit half-open: a trial request is running');
    let outcome: T | Passed;
    try {
      outcome = await this.policy.execute(async () => {
        try {
          return await call();
        } catch (error) {
          if (isFailure(error)) throw error;
          return new Passed(error); // the server answered (e.g. a 400): it is up
        }
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new CircuitOpenError('circuit open: the model server failed repeatedly', { cause: error });
      throw error;
    }
    if (outcome instanceof Passed) throw outcome.error;
    return outcome;
  }
}
