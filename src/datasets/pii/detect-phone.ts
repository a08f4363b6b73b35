/**
 * Phone numbers, EN and DE. International numbers ("+49 30 1234567", "0049 ...") are checked with
 * libphonenumber-js; national ones either have a phone-like grouping ("030 1234-5678",
 * "(555) 123-4567", "0171/1234567") or are a valid national number in one of the configured
 * regions, or follow a cue like "Tel." / "call me at". Dates, amounts and year ranges are not phones.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { NumericRun } from './numeric-runs.ts';

// Words right before a number that say it is a phone number.
const CUE = /(?:tel|phone|call|mobil|handy|fax|whats ?app|sms|text me|anruf|rufen?|erreichbar|durchwahl|festnetz|nummer|number|contact|kontakt)\b[^\n\d]{0,20}$/i;
// Money right before or after: "EUR 1 250 000", "1.234.567 €".
const CURRENCY_BEFORE = /(?:[€$£]|eur|usd|chf|gbp|euro)\s?$/i;
// Postal codes with a dash ("75534-030") after "ZIP:" are not phones.
const POSTAL_BEFORE = /(?:zip(?: ?code)?|postal ?code|postcode|plz|postleitzahl)\W{0,5}$/i;
const CURRENCY_AFTER = /^\s?(?:[€$£]|eur|usd|chf|gbp|euro|dollar|franken)/i;

const EXTENSION = /\s?(?:x|ext\.?|Durchwahl|DW)\s?\d+$/i;

export function isPhoneRun(text: string, run: NumericRun, regions: readonly string[]): boolean {
  const main = run.text.replace(EXTENSION, '');
  const n = main.replace(/\D/g, '').length;
  if (n < 7 || n > 15) return false;
  const before = text.slice(Math.max(0, run.start - 30), run.start);
  const after = text.slice(run.end, run.end + 10);
  if (CURRENCY_BEFORE.test(before) || CURRENCY_AFTER.test(after) || POSTAL_BEFORE.test(before)) return false;

  const international = run.text.startsWith('+') || run.text.startsWith('(+') || run.text.startsWith('00');
  if (international) {
    if (n < 8) return false;
    // "+41 (0)96 ..." writes the national trunk 0 in brackets; it is not dialled from abroad.
    const dialled = main.replace('(0)', '').replace(/\D/g, '').replace(/^00/, '');
    return memo(`+${dialled}`, () => parsePhoneNumberFromString(`+${dialled}`)?.isPossible() === true);
  }
  if (isThousands(run) || isYearRange(run)) return false;
  if (CUE.test(before)) return true;
  // Grouped like a phone: "030 1234-5678", "(555) 123-4567", "0171/1234567", "60-56-85-91".
  if (run.groups.length >= 2) return run.groups.every((g) => g <= 8);
  return validInRegion(run.digits, regions);
}

/**
 * "1.234.567" or "1 000 000": a grouped amount, not a phone. Space-grouped triples are also how
 * Spanish and French phones are written ("699 956 915"), so spaces count only with trailing zeros.
 */
function isThousands(run: NumericRun): boolean {
  if (run.groups.length < 3 || run.digits.startsWith('0')) return false;
  const [first, ...rest] = run.groups;
  if ((first ?? 0) > 3 || !rest.every((g) => g === 3)) return false;
  return /^[.,']+$/.test(run.separators) || (/^[ \u00A0\u202F]+$/.test(run.separators) && run.digits.endsWith('000'));
}

/** "1990-2000", "2019/2020". */
function isYearRange(run: NumericRun): boolean {
  return run.groups.length === 2 && run.groups[0] === 4 && run.groups[1] === 4 && /^(?:19|20)\d\d(?:19|20)\d\d$/.test(run.digits);
}

// libphonenumber parses are the costly part (an error object per failed parse), and a conversation
// repeats its numbers in every message: answers are kept for the numbers seen lately.
const answers = new Map<string, boolean>();
const ANSWERS_MAX = 10_000;

function memo(key: string, compute: () => boolean): boolean {
  let answer = answers.get(key);
  if (answer === undefined) {
    answer = compute();
    if (answers.size >= ANSWERS_MAX) answers.clear();
    answers.set(key, answer);
  }
  return answer;
}

function validInRegion(digits: string, regions: readonly string[]): boolean {
  return memo(`${regions.join(',')}|${digits}`, () => validInRegionUncached(digits, regions));
}

function validInRegionUncached(digits: string, regions: readonly string[]): boolean {
  for (const region of regions) {
    const parsed = parsePhoneNumberFromString(digits, region as CountryCode);
    if (parsed?.isValid()) return true;
  }
  return false;
}
