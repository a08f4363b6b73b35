import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, type BreakerState } from '../../src/models/inference/circuit-breaker.ts';

class Down extends Error {}
class BadRequest extends Error {}

function setup(failureThreshold = 3, cooldownMs = 1_000) {
  let clock = 0;
  const changes: BreakerState[] = [];
  const breaker = new CircuitBreaker({ failureThreshold, cooldownMs, now: () => clock, onStateChange: (state) => changes.push(state) });
  const isFailure = (error: unknown) => error instanceof Down;
  const ok = () => breaker.run(async () => 'ok', isFailure);
  const down = () => breaker.run(async () => Promise.reject(new Down('down')), isFailure);
  return { breaker, changes, ok, down, isFailure, advance: (ms: number) => (clock += ms) };
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures and then refuses calls without running them', async () => {
    const { breaker, down } = setup(3);
    await expect(down()).rejects.toBeInstanceOf(Down);
    await expect(down()).rejects.toBeInstanceOf(Down);
    expect(breaker.state).toBe('closed');
    await expect(down()).rejects.toBeInstanceOf(Down);
    expect(breaker.state).toBe('open');
    let ran = false;
    await expect(breaker.run(async () => (ran = true), () => true)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(ran).toBe(false);
  });

  it('a success in between resets the count; errors that are not failures count as success', async () => {
    const { breaker, ok, down, isFailure } = setup(2);
    await expect(down()).rejects.toBeInstanceOf(Down);
    await ok();
    await expect(down()).rejects.toBeInstanceOf(Down);
    await expect(breaker.run(async () => Promise.reject(new BadRequest('400')), isFailure)).rejects.toBeInstanceOf(BadRequest);
    await expect(down()).rejects.toBeInstanceOf(Down);
    expect(breaker.state).toBe('closed');
  });

  it('after the cooldown lets one trial through: success closes it', async () => {
    const { breaker, changes, down, ok, advance, isFailure } = setup(1, 1_000);
    await expect(down()).rejects.toBeInstanceOf(Down);
    advance(999);
    await expect(ok()).rejects.toBeInstanceOf(CircuitOpenError);
    advance(1);
    let release!: () => void;
    const trial = breaker.run(() => new Promise<string>((resolve) => (release = () => resolve('trial'))), isFailure);
    expect(breaker.state).toBe('half-open');
    // A second caller while the trial runs is refused, not queued.
    await expect(ok()).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(trial).resolves.toBe('trial');
    expect(breaker.state).toBe('closed');
    await expect(ok()).resolves.toBe('ok');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('a failed trial opens it again for another cooldown', async () => {
    const { breaker, changes, down, ok, advance } = setup(2, 500);
    await expect(down()).rejects.toBeInstanceOf(Down);
    await expect(down()).rejects.toBeInstanceOf(Down);
    advance(500);
    await expect(down()).rejects.toBeInstanceOf(Down);
    expect(breaker.state).toBe('open');
    await expect(ok()).rejects.toBeInstanceOf(CircuitOpenError);
    advance(500);
    await expect(ok()).resolves.toBe('ok');
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });
});
