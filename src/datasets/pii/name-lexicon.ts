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
}

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
  cached ??= {
    first: withPlain([...readList('first-names.txt'), ...readList('census-first-names.txt')]),
    last: withPlain([...readList('last-names.txt'), ...readList('census-last-names.txt')]),
    common: new Set([...readList('common-words-en.txt'), ...readList('common-words-de.txt')]),
    stop: new Set(readList('function-words.txt')),
  };
  return cached;
}
