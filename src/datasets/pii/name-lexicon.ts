/**
 * The word lists behind the name recognizer, read from ./data once on first use (never at import,
 * never from the network). Everything is lowercased so lookups are one Set.has per token.
 */
import { readFileSync } from 'node:fs';

export interface NameLexicon {
  first: ReadonlySet<string>;
  last: ReadonlySet<string>;
  /** Words that are also names ("Will", "Rose", "Koch"): a name only with support. */
  common: ReadonlySet<string>;
  /** Never a name, never part of one ("the", "und", "Hallo", "Team", weekdays). */
  stop: ReadonlySet<string>;
  /** All four lists in one map: word → FIRST | LAST | COMMON | STOP, so a token needs one lookup. */
  flags: ReadonlyMap<string, number>;
}

export const FIRST = 1;
export const LAST = 2;
export const COMMON = 4;
export const STOP = 8;

let cached: NameLexicon | undefined;

function readList(file: string): string[] {
  const text = readFileSync(new URL(`./data/${file}`, import.meta.url), 'utf8');
  const words: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    for (const w of line.split(/\s+/)) if (w) words.push(w.toLowerCase());
  }
  return words;
}

/** The words plus their accent-free spellings, so "Vasquez" finds "Vásquez". */
function withPlain(words: string[]): Set<string> {
  const set = new Set(words);
  for (const w of words) if (/[^\x00-\x7f]/.test(w)) set.add(w.normalize('NFD').replace(/\p{M}/gu, ''));
  return set;
}

export function nameLexicon(): NameLexicon {
  if (cached) return cached;
  const first = withPlain([...readList('first-names.txt'), ...readList('census-first-names.txt')]);
  const last = withPlain([...readList('last-names.txt'), ...readList('census-last-names.txt')]);
  const common = new Set([...readList('common-words-en.txt'), ...readList('common-words-de.txt')]);
  const stop = new Set(readList('function-words.txt'));
  const flags = new Map<string, number>();
  for (const [set, bit] of [[first, FIRST], [last, LAST], [common, COMMON], [stop, STOP]] as const) {
    for (const w of set) flags.set(w, (flags.get(w) ?? 0) | bit);
  }
  cached = { first, last, common, stop, flags };
  return cached;
}
