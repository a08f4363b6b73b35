/**
 * People the vendor already named on the ticket (requester, assignee, CCs). They are always
 * replaced, in every spelling we can predict: full name, first or last name alone, "Last, First",
 * email and its local part, any case, and German umlaut/transliteration variants
 * (Müller / Mueller / Muller). All spellings of one person share one key, hence one placeholder.
 */
import { nameLexicon } from './name-lexicon.ts';
import type { KnownPerson, RawSpan } from './types.ts';

const HONORIFICS = /^(?:herr|herrn|frau|dr|prof|mr|mrs|ms|mx|miss)\.?$/i;
const GENERIC_MAILBOXES = new Set(['info', 'support', 'service', 'kontakt', 'contact', 'hello', 'office', 'mail', 'admin', 'noreply', 'no-reply', 'team', 'sales', 'billing']);

interface Matcher {
  /** Case-insensitive alternatives. */
  loose: RegExp | null;
  /** Alternatives that are also common words ("Will", "Koch"): matched only capitalised. */
  strict: RegExp | null;
  keys: Map<string, string>;
}

const cache = new Map<string, Matcher>();
const CACHE_MAX = 256;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Müller → Mueller, Muller; Mueller → Müller; é → e. */
export function spellingVariants(word: string): string[] {
  const out = new Set([word]);
  const lower = word.toLowerCase();
  out.add(lower.replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue').replace(/ß/g, 'ss'));
  out.add(lower.replace(/ae/g, 'ä').replace(/oe/g, 'ö').replace(/ue/g, 'ü'));
  out.add(lower.normalize('NFD').replace(/\p{M}/gu, '').replace(/ß/g, 'ss'));
  return [...out];
}

function personVariants(p: KnownPerson): { key: string; variants: string[] } | null {
  const email = p.email?.trim().toLowerCase() || '';
  const words = (p.name ?? '').trim().split(/[\s,]+/).filter((w) => w && !HONORIFICS.test(w));
  if (!email && words.length === 0) return null;
  const key = `person:${email || words.join(' ').toLowerCase()}`;
  const variants = new Set<string>();
  if (email) {
    variants.add(email);
    const local = email.split('@')[0] ?? '';
    if (local.length >= 5 && !GENERIC_MAILBOXES.has(local)) variants.add(local);
  }
  const forms = words.length > 1 ? [words.join(' '), `${words.at(-1)}, ${words.slice(0, -1).join(' ')}`] : [];
  for (const form of forms) for (const v of spellingVariants(form)) variants.add(v);
  for (const w of words) {
    // Single letters or initials would wipe out every "A" in the text.
    if (w.replace(/\./g, '').length < 2) continue;
    for (const v of spellingVariants(w)) variants.add(v);
  }
  return { key, variants: [...variants] };
}

function build(people: readonly KnownPerson[]): Matcher {
  const lex = nameLexicon();
  const keys = new Map<string, string>();
  const loose: string[] = [];
  const strict: string[] = [];
  for (const p of people) {
    const pv = personVariants(p);
    if (!pv) continue;
    for (const v of pv.variants) {
      const lower = v.toLowerCase();
      if (keys.has(lower)) continue;
      keys.set(lower, pv.key);
      const pattern = escape(v).replace(/\s+/g, '\\s+');
      if (lex.common.has(lower) || lex.stop.has(lower)) strict.push(escape(v.charAt(0).toUpperCase() + v.slice(1)));
      else loose.push(pattern);
    }
  }
  const byLength = (a: string, b: string) => b.length - a.length;
  const wrap = (alts: string[], flags: string) =>
    alts.length ? new RegExp(`(?<![\\p{L}\\p{N}_@.])(?:${alts.sort(byLength).join('|')})(?![\\p{L}\\p{N}_]|@)`, flags) : null;
  return { loose: wrap(loose, 'giu'), strict: wrap(strict, 'gu'), keys };
}

function matcherFor(people: readonly KnownPerson[]): Matcher {
  const cacheKey = JSON.stringify(people.map((p) => [p.name ?? '', p.email ?? '']));
  let m = cache.get(cacheKey);
  if (!m) {
    m = build(people);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(cacheKey, m);
  }
  return m;
}

export function detectKnownPeople(text: string, out: RawSpan[], people: readonly KnownPerson[]): void {
  if (people.length === 0) return;
  const m = matcherFor(people);
  for (const re of [m.loose, m.strict]) {
    if (!re) continue;
    re.lastIndex = 0;
    let hit: RegExpExecArray | null;
    while ((hit = re.exec(text)) !== null) {
      const value = hit[0];
      const key = m.keys.get(value.toLowerCase().replace(/\s+/g, ' ')) ?? `person:${value.toLowerCase()}`;
      out.push({ start: hit.index, end: hit.index + value.length, type: value.includes('@') ? 'EMAIL' : 'NAME', value, key });
    }
  }
}

/** Lowercased name words of the known people, so the name detector also finds them in new forms. */
export function knownNameWords(people: readonly KnownPerson[]): string[] {
  const words: string[] = [];
  for (const p of people) {
    for (const w of (p.name ?? '').split(/[\s,]+/)) if (w.length >= 2 && !HONORIFICS.test(w)) words.push(w.toLowerCase());
  }
  return words;
}
