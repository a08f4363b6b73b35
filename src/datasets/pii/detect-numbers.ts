/**
 * Classifies every numeric run once: card (Luhn) before phone before "some other long number".
 * A long digit string that is neither is still personal more often than not in support text
 * (customer, contract, tracking numbers), so it becomes an ID unless the config turns that off.
 */
import type { CompiledConfig } from './config.ts';
import { isCardRun } from './detect-card.ts';
import { isPhoneRun } from './detect-phone.ts';
import { describe, forEachNumericRun, type NumericRun } from './numeric-runs.ts';
import type { RawSpan } from './types.ts';

// "2024-03-12 11:34", "12.03.2024", "6/24/1991": dates are not phones. Only a leading date is cut.
const LEADING_DATE = /^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2}))(?![\d])/;

export function detectNumbers(text: string, out: RawSpan[], cc: CompiledConfig): void {
  const { detect, phoneRegions, genericNumberMinDigits } = cc.config;
  forEachNumericRun(text, (whole) => {
    let run: NumericRun = whole;
    const date = LEADING_DATE.exec(run.text);
    if (date && plausibleDate(date[0])) {
      let from = run.start + date[0].length;
      while (from < run.end && !isDigitOrPlus(text.charCodeAt(from))) from++;
      if (from >= run.end) return;
      run = describe(text, from, run.end);
    }
    if (run.digits.length < 7) return;
    if (detect.cards && isCardRun(run)) {
      out.push(span(run, 'CARD', `card:${run.digits}`));
    } else if (detect.phones && isPhoneRun(text, run, phoneRegions)) {
      out.push(span(run, 'PHONE', `phone:${run.digits.replace(/^(?:00|0)/, '')}`));
    } else if (detect.ids && genericNumberMinDigits !== null && run.digits.length >= genericNumberMinDigits) {
      out.push(span(run, 'ID', `id:${run.digits}`));
    }
  });
}

/** "12.03.2024" yes, "60-56-85-91" (a phone) no: day and month must be possible. */
function plausibleDate(s: string): boolean {
  const [a = 0, b = 0, c = 0] = s.split(/[./-]/).map(Number);
  if (s.length >= 8 && /^\d{4}-/.test(s)) return b >= 1 && b <= 12 && c >= 1 && c <= 31;
  return a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12);
}

function isDigitOrPlus(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 43;
}

function span(run: NumericRun, type: RawSpan['type'], key: string): RawSpan {
  return { start: run.start, end: run.end, type, value: run.text, key };
}
