import { describe, expect, it } from 'vitest';
import { newcombeDifference, wilsonInterval } from '../../src/models/proportions.ts';

/** Reference values: Newcombe, Statistics in Medicine 17 (1998), 857–872 (Wilson) and 873–890 (method 10). */
describe('acceptance-rate intervals', () => {
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('Wilson interval of %i/%i', (successes, trials, lower, upper) => {
    const ci = wilsonInterval(successes, trials);
    expect(ci?.lower).toBeCloseTo(lower, 4);
    expect(ci?.upper).toBeCloseTo(upper, 4);
  });

  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
  ])('Newcombe interval of %i/%i − %i/%i', (a, m, b, n, lower, upper) => {
    const ci = newcombeDifference(a, m, b, n);
    expect(ci?.difference).toBeCloseTo(a / m - b / n, 10);
    expect(ci?.lower).toBeCloseTo(lower, 4);
    expect(ci?.upper).toBeCloseTo(upper, 4);
  });

  it('has no interval for an arm without feedback', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(newcombeDifference(3, 10, 0, 0)).toBeNull();
  });
});
