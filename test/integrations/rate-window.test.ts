/** The shared rate-limit window: calls in flight count against what is left, and a pause holds every caller. */
import { describe, expect, it } from 'vitest';
import { RateWindow } from '../../integrations/common/rate-window.ts';

describe('RateWindow', () => {
  it('counts calls in flight against the remaining calls, keeping the reserve', () => {
    let now = 1_000;
    const window = new RateWindow(0.05, () => now);
    window.observe({ limit: 100, remaining: 10, resetAtMs: 5_000 });
    expect(window.waitMs(0)).toBe(0);
    expect(window.waitMs(4)).toBe(0);
    // 10 left, 5 of them already on the wire: the reserve of 5 is reached.
    expect(window.waitMs(5)).toBe(4_000);
    now = 5_000;
    expect(window.waitMs(5)).toBe(0);
  });

  it('keeps the lowest remaining of one window when answers come back out of order', () => {
    const window = new RateWindow(0, () => 0);
    window.observe({ limit: 10, remaining: 0, resetAtMs: 1_000 });
    window.observe({ limit: 10, remaining: 3, resetAtMs: 1_000 });
    expect(window.waitMs()).toBe(1_000);
    window.observe({ limit: 10, remaining: 9, resetAtMs: 2_000 });
    expect(window.waitMs()).toBe(0);
  });

  it('makes every caller wait once one of them waits for the reset', async () => {
    let now = 0;
    const window = new RateWindow(0, () => now);
    window.observe({ limit: 10, remaining: 0, resetAtMs: 30 });
    const first = window.beforeCall();
    // The reading is gone, but the pause is not: a second caller waits as long.
    expect(window.waitMs()).toBe(30);
    now = 30;
    expect(window.waitMs()).toBe(0);
    await first;
  });
});
