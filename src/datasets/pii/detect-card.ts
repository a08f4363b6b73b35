/**
 * Payment card numbers: 12–19 digits (Maestro has 12, most cards 16, some 19), written compact
 * or in groups of four-ish separated by spaces or dashes, and valid under the Luhn checksum.
 * Luhn-invalid numbers are not cards; they may still be phones or IDs.
 */
import type { NumericRun } from './numeric-runs.ts';

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function isCardRun(run: NumericRun): boolean {
  const n = run.digits.length;
  if (n < 12 || n > 19) return false;
  // Card networks start with 0–6 (Maestro 0604, UATP, Amex/Diners/JCB, Visa, Mastercard, Discover).
  if (run.digits.charCodeAt(0) > 54) return false;
  if (run.separators.length > 0) {
    if (!/^[ \u00A0-]+$/.test(run.separators)) return false;
    // "4111 1111 1111 1111", "3782 822463 10005": groups of three or more digits.
    for (let i = 0; i < run.groups.length - 1; i++) if ((run.groups[i] ?? 0) < 3) return false;
  }
  return luhnValid(run.digits);
}
