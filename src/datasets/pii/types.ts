/**
 * Shared types of the PII scrubber. A detector finds spans; the session turns spans into typed,
 * numbered placeholders that stay the same for the same value within one conversation.
 */

/** Every kind of personal data the scrubber replaces; the placeholder is `[<TYPE>_<n>]`. */
export const PII_TYPES = ['NAME', 'EMAIL', 'PHONE', 'IBAN', 'CARD', 'ADDRESS', 'IP', 'URL', 'ID'] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** A detected piece of personal data: `text.slice(start, end) === value`, end exclusive. */
export interface Span {
  start: number;
  end: number;
  type: PiiType;
  value: string;
}

/**
 * A span as the detectors produce it. `key` ties different spellings of one identity together
 * (a known person's full name, first name and email all share one key, so one placeholder).
 */
export interface RawSpan extends Span {
  key?: string;
}

/** A person the vendor already told us about (ticket requester, assignee, CC). */
export interface KnownPerson {
  name?: string | null;
  email?: string | null;
}

export interface ScrubContext {
  knownPeople?: readonly KnownPerson[];
}

export function emptyCounts(): Record<PiiType, number> {
  return { NAME: 0, EMAIL: 0, PHONE: 0, IBAN: 0, CARD: 0, ADDRESS: 0, IP: 0, URL: 0, ID: 0 };
}

/** One spelling of one person (known-people.ts). */
export interface Spelling {
  /** Lowercased text for loose spellings; the exact capitalised form for strict ones. */
  text: string;
  /** The spelling as written (the regex fallback matches it case-insensitively, as Unicode folds case). */
  source: string;
  /** The spelling split on whitespace; any run of whitespace in the text matches between pieces. */
  pieces: string[];
  /** Only this exact capitalisation counts (the name is also a common word). */
  strict: boolean;
  key: string;
  email: boolean;
  /** Length of the equivalent regex alternative: at one position, the longest is tried first. */
  order: number;
}
