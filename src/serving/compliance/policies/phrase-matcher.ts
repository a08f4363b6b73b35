/**
 * Phrase and keyword lists compiled into one regular expression each, once per policy. Only
 * escaped literals, `\s+` and a bounded `(\s+\S+){0,3}` gap go into it, so matching stays
 * linear in the message length, however hostile the message.
 */
import { NEGATIONS } from './phrases.ts';

export interface PhraseHit {
  start: number;
  end: number;
}

const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Letters and digits of any script: `\b` would treat "ü" as a boundary. */
const BEFORE = '(?<![\\p{L}\\p{N}])';
const AFTER = '(?![\\p{L}\\p{N}])';
/** Up to three words between two phrase words, captured so a negation inside ("refund is not guaranteed") is seen. */
const GAP = '((?:\\s+\\S+){0,3})\\s+';

function phraseSource(phrase: string): string {
  const tokens = phrase.trim().split(/\s+/);
  let source = '';
  let pendingGap = false;
  for (const token of tokens) {
    if (token === '*') {
      pendingGap = true;
      continue;
    }
    if (source) source += pendingGap ? GAP : '\\s+';
    pendingGap = false;
    source += escape(token).replace(/'/g, "['’]");
  }
  return source;
}

export function compilePhrases(phrases: readonly string[]): RegExp {
  const unique = [...new Set(phrases.map((phrase) => phraseSource(phrase)).filter(Boolean))];
  // Longest first, so "garantiert * erstattet" wins over a shorter phrase at the same place.
  unique.sort((a, b) => b.length - a.length);
  return new RegExp(`${BEFORE}(?:${unique.join('|')})${AFTER}`, 'giu');
}

/** Every match, at most `limit`. With `negatable`, matches preceded by a negation are dropped. */
export function findPhrases(pattern: RegExp, text: string, options: { negatable: boolean; limit: number }): PhraseHit[] {
  const hits: PhraseHit[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match && hits.length < options.limit; match = pattern.exec(text)) {
    const start = match.index;
    const end = start + match[0].length;
    if (end === start) pattern.lastIndex++;
    if (options.negatable && (negatedBefore(text, start) || match.slice(1).some((gap) => gap !== undefined && NEGATIONS.test(gap)))) continue;
    hits.push({ start, end });
  }
  return hits;
}

/** A negation among the three words before `start` ("we can't guarantee a refund"). */
function negatedBefore(text: string, start: number): boolean {
  const before = text.slice(Math.max(0, start - 40), start);
  const lastWords = before.split(/\s+/).filter(Boolean).slice(-3).join(' ');
  return NEGATIONS.test(lastWords);
}
