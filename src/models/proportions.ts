/**
 * Confidence intervals for acceptance rates. Wilson's score interval for one proportion, and
 * Newcombe's hybrid score interval (his method 10) for the difference of two independent ones:
 * both stay inside [0, 1] / [-1, 1] and behave at small counts and at rates near 0 or 1, where the
 * textbook Wald interval does not. Newcombe, Statistics in Medicine 17 (1998) 873–890.
 */

/** The two-sided 95 % normal quantile. */
export const Z_95 = 1.959963984540054;

export interface Interval {
  lower: number;
  upper: number;
}

export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval | null {
  if (trials <= 0) return null;
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** Interval of p1 − p2, or null while either arm has no trials. */
export function newcombeDifference(successes1: number, trials1: number, successes2: number, trials2: number, z = Z_95): (Interval & { difference: number }) | null {
  const ci1 = wilsonInterval(successes1, trials1, z);
  const ci2 = wilsonInterval(successes2, trials2, z);
  if (!ci1 || !ci2) return null;
  const p1 = successes1 / trials1;
  const p2 = successes2 / trials2;
  const difference = p1 - p2;
  return {
    difference,
    lower: difference - Math.sqrt((p1 - ci1.lower) ** 2 + (ci2.upper - p2) ** 2),
    upper: difference + Math.sqrt((ci1.upper - p1) ** 2 + (p2 - ci2.lower) ** 2),
  };
}
