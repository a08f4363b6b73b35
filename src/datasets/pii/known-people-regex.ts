/**
 * The regex form of the known-people match, for the rare text or spelling the indexOf matcher in
 * known-people.ts does not handle (lowercasing changes the text's length, or a spelling starts with
 * punctuation). Compiled once per set of spellings, only when needed.
 */
import type { RawSpan, Spelling } from './types.ts';

interface Compiled {
  loose: RegExp | null;
  strict: RegExp | null;
  byLower: Map<string, Spelling>;
}

const compiled = new WeakMap<readonly Spelling[], Compiled>();

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(spellings: readonly Spelling[]): Compiled {
  const byOrder = [...spellings].sort((a, b) => b.order - a.order);
  const wrap = (list: Spelling[], flags: string) =>
    list.length
      ? new RegExp(`(?<![\\p{L}\\p{N}_@.])(?:${list.map((s) => (s.strict ? escape(s.text) : escape(s.source).replace(/\s+/g, '\\s+'))).join('|')})(?![\\p{L}\\p{N}_]|@)`, flags)
      : null;
  const byLower = new Map<string, Spelling>();
  for (const s of spellings) byLower.set(s.text.toLowerCase(), s);
  return { loose: wrap(byOrder.filter((s) => !s.strict), 'giu'), strict: wrap(byOrder.filter((s) => s.strict), 'gu'), byLower };
}

export function knownPeopleRegexScan(text: string, out: RawSpan[], spellings: readonly Spelling[]): void {
  let c = compiled.get(spellings);
  if (!c) compiled.set(spellings, (c = compile(spellings)));
  for (const re of [c.loose, c.strict]) {
    if (!re) continue;
    re.lastIndex = 0;
    let hit: RegExpExecArray | null;
    while ((hit = re.exec(text)) !== null) {
      const value = hit[0];
      const key = c.byLower.get(value.toLowerCase().replace(/\s+/g, ' '))?.key ?? `person:${value.toLowerCase()}`;
      out.push({ start: hit.index, end: hit.index + value.length, type: value.includes('@') ? 'EMAIL' : 'NAME', value, key });
    }
  }
}
