/**
 * IBANs: a country code, two check digits, then the country's fixed number of characters, written
 * compact or in groups. Only candidates whose length fits the country and whose mod-97 checksum
 * (and BBAN format) ibantools accepts count, so "DE12 3456" in prose is left alone.
 */
import { countrySpecs, isValidIBAN } from 'ibantools';
import type { RawSpan } from './types.ts';

// Greedy but linear: each repetition consumes one alphanumeric (plus an optional separator).
const CANDIDATE = /\b[A-Za-z]{2}\d{2}(?:[ \u00A0-]?[A-Za-z0-9]){10,32}/g;

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

export function detectIbans(text: string, out: RawSpan[]): void {
  CANDIDATE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CANDIDATE.exec(text)) !== null) {
    const start = m.index;
    const country = text.slice(start, start + 2).toUpperCase();
    const length = countrySpecs[country]?.chars;
    const found = length ? takeIban(text, start, start + m[0].length, length) : null;
    if (found) {
      out.push({ start, end: found.end, type: 'IBAN', value: text.slice(start, found.end), key: `iban:${found.compact}` });
      CANDIDATE.lastIndex = found.end;
    } else {
      // The match may have swallowed the start of a real IBAN; resume just after this start.
      CANDIDATE.lastIndex = start + 2;
    }
  }
}

/** Collects exactly `length` alphanumerics from `start`; returns where they end if it is a valid IBAN. */
function takeIban(text: string, start: number, limit: number, length: number): { end: number; compact: string } | null {
  let compact = '';
  let i = start;
  while (i < limit && compact.length < length) {
    const c = text.charCodeAt(i);
    if (isAlnum(c)) compact += text[i];
    i++;
  }
  if (compact.length !== length) return null;
  compact = compact.toUpperCase();
  return isValidIBAN(compact) ? { end: i, compact } : null;
}
