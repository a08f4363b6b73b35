/** Copies of one signal within a short window count once (src/cli/signals.ts). */
import { describe, expect, it } from 'vitest';
import { DUPLICATE_WINDOW_MS, signalCounter } from '../../src/cli/signals.ts';

describe('signal copies', () => {
  it('the first signal stops; a copy within the window is a duplicate; a later one forces', () => {
    let now = 1_000;
    const classify = signalCounter(() => now);
    expect(classify('SIGTERM')).toBe('stop');
    now += 5;
    expect(classify('SIGTERM')).toBe('duplicate');
    now += DUPLICATE_WINDOW_MS;
    expect(classify('SIGTERM')).toBe('force');
  });

  it('another signal, even at once, is not a copy', () => {
    const classify = signalCounter(() => 0);
    expect(classify('SIGTERM')).toBe('stop');
    expect(classify('SIGINT')).toBe('force');
  });
});
