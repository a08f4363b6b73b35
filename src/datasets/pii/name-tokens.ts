/**
 * The word tokenizer of the name recognizer: letters and marks joined by inner hyphens and
 * apostrophes ("Hans-Dietrich", "O'Brien"), but not a possessive 's, each word looked up once in
 * the name lexicon. Scanned by hand because a regex exec per word allocates a match array.
 */
import { FIRST, LAST, nameLexicon } from './name-lexicon.ts';

const UPPER_START = /^\p{Lu}/u;
const ALL_UPPER = /^[\p{Lu}\p{M}'’-]+$/u;
export const NON_ASCII = /[^\x00-\x7f]/;

export interface Token {
  start: number;
  end: number;
  lower: string;
  cap: boolean;
  allCaps: boolean;
  /** Which word lists have it (FIRST | LAST | COMMON | STOP), looked up once. */
  f: number;
}

// What tokenize() scans for: [\p{L}\p{M}]+(?:-[\p{L}\p{M}]+|['’](?![sS](?![\p{L}]))[\p{L}\p{M}]+)*

const plainCache = new Map<string, string>();
const PLAIN_CACHE_MAX = 20_000;

export function plainOf(w: string): string {
  let plain = plainCache.get(w);
  if (plain === undefined) {
    plain = stripAccents(w);
    if (plainCache.size >= PLAIN_CACHE_MAX) plainCache.clear();
    plainCache.set(w, plain);
  }
  return plain;
}

export function stripAccents(w: string): string {
  return w.normalize('NFD').replace(/\p{M}/gu, '');
}
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;
const LETTER = /^\p{L}$/u;

/** Code point at i (a whole surrogate pair), or -1 past the end. */
function cpAt(text: string, i: number): number {
  return i < text.length ? (text.codePointAt(i) as number) : -1;
}

function isLetterOrMark(c: number): boolean {
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return c > 0 && LETTER_OR_MARK.test(String.fromCodePoint(c));
}

function isLetter(c: number): boolean {
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return c > 0 && LETTER.test(String.fromCodePoint(c));
}

/** End of the run of letters and marks starting at i. */
function lettersEnd(text: string, i: number): number {
  for (;;) {
    const c = cpAt(text, i);
    if (c < 0 || !isLetterOrMark(c)) return i;
    i += c > 0xffff ? 2 : 1;
  }
}

/**
 * The words of TOKEN, scanned by hand (a regex exec per word allocates a match array): letters and
 * marks, joined by inner hyphens and apostrophes, but not a possessive "'s".
 */
export function tokenize(text: string): Token[] {
  const flags = nameLexicon().flags;
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c0 = text.charCodeAt(i);
    // Fast skip of ASCII non-letters.
    if (c0 < 128 && !((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122))) {
      i++;
      continue;
    }
    const cp = cpAt(text, i);
    if (!isLetterOrMark(cp)) {
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const start = i;
    let end = lettersEnd(text, i);
    for (;;) {
      const sep = text.charCodeAt(end);
      if (sep === 45 /* - */) {
        const after = lettersEnd(text, end + 1);
        if (after === end + 1) break;
        end = after;
      } else if (sep === 39 || sep === 0x2019) {
        const n = text.charCodeAt(end + 1);
        if ((n === 115 || n === 83) && !isLetter(cpAt(text, end + 2))) break;
        const after = lettersEnd(text, end + 1);
        if (after === end + 1) break;
        end = after;
      } else break;
    }
    i = end;
    const word = text.slice(start, end);
    const c = word.charCodeAt(0);
    // ASCII first letters decide by code; only others need the Unicode class.
    const cap = c < 128 ? c >= 65 && c <= 90 : UPPER_START.test(word);
    const allCaps = (cap || c >= 128) && word.length > 1 && ALL_UPPER.test(word);
    const lower = word.toLowerCase();
    let f = flags.get(lower) ?? 0;
    // The first and last name lists also match the word without accents ("Vasquez" for "Vásquez").
    if (NON_ASCII.test(lower)) f |= (flags.get(plainOf(lower)) ?? 0) & (FIRST | LAST);
    tokens.push({ start, end, lower, cap, allCaps, f });
  }
  return tokens;
}

