/**
 * People the vendor already named on the ticket (requester, assignee, CCs). They are always
 * replaced, in every spelling we can predict: full name, first or last name alone, "Last, First",
 * email and its local part, any case, and German umlaut/transliteration variants
 * (Müller / Mueller / Muller). All spellings of one person share one key, hence one placeholder.
 *
 * Every conversation has other people, so nothing here compiles a regex per conversation: the
 * spellings go into a Map keyed by their first word, the text is lowercased once and each first
 * word is found with indexOf. A match obeys the same rules a regex would: it starts after no
 * letter, digit, "_", "@" or ".", ends before no letter, digit, "_" or "@", and at one position the
 * longest spelling wins. Case-insensitive, except for names that are also common words ("Will",
 * "Koch"): those match only capitalised.
 */
import { nameLexicon } from './name-lexicon.ts';
import { knownPeopleRegexScan } from './known-people-regex.ts';
import type { KnownPerson, RawSpan, Spelling } from './types.ts';

export type { Spelling } from './types.ts';

const HONORIFICS = /^(?:herr|herrn|frau|dr|prof|mr|mrs|ms|mx|miss)\.?$/i;
const GENERIC_MAILBOXES = new Set(['info', 'support', 'service', 'kontakt', 'contact', 'hello', 'office', 'mail', 'admin', 'noreply', 'no-reply', 'team', 'sales', 'billing']);
const FIRST_WORD = /^[\p{L}\p{N}_]+/u;
const ASCII = /^[\x00-\x7f]*$/;
const UMLAUT_DIGRAPH = /[aou]e/;
const WORD_CHAR = /^[\p{L}\p{N}_]$/u;

export interface Matcher {
  /** Lowercased first word → spellings starting with it, longest first. */
  byFirstWord: Map<string, Spelling[]>;
  /** Some spelling does not start with a word character: only the regex scan handles those. */
  odd: boolean;
  all: Spelling[];
}

const byList = new WeakMap<readonly KnownPerson[], Matcher>();

const REGEX_SPECIAL = new Set('.*+?^${}()|[]\\');
const HAS_SPACE = /\s/;

/** Length of the escaped regex source of `s`, with each whitespace run as "\\s+" when `flexible`: the regex alternative's length. */
function patternLength(s: string, flexible: boolean): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (flexible && HAS_SPACE.test(ch)) {
      while (i + 1 < s.length && HAS_SPACE.test(s[i + 1] as string)) i++;
      n += 3;
    } else n += REGEX_SPECIAL.has(ch) ? 2 : 1;
  }
  return n;
}

/** Müller → Mueller, Muller; Mueller → Müller; é → e. */
export function spellingVariants(word: string): string[] {
  const lower = word.toLowerCase();
  // Plain ASCII without ae/oe/ue has no other spelling (most names): skip the replaces.
  if (ASCII.test(lower) && !UMLAUT_DIGRAPH.test(lower)) return lower === word ? [word] : [word, lower];
  const out = new Set([word]);
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

/** One person's spellings, before de-duplication across people. Cached: agents recur in every ticket. */
interface PersonSpellings {
  /** Each with its lowercased first word, or null when it starts with no word character. */
  spellings: { lower: string; first: string | null; spelling: Spelling }[];
}

const byPerson = new Map<string, PersonSpellings | null>();
const PERSON_CACHE_MAX = 4096;

function spellingsOf(p: KnownPerson): PersonSpellings | null {
  const id = `${p.name ?? ''}\u0000${p.email ?? ''}`;
  let ps = byPerson.get(id);
  if (ps !== undefined) return ps;
  const lex = nameLexicon();
  const pv = personVariants(p);
  ps = pv && {
    spellings: pv.variants.map((v) => {
      const lower = v.toLowerCase();
      const strict = lex.common.has(lower) || lex.stop.has(lower);
      const text = strict ? v.charAt(0).toUpperCase() + v.slice(1) : lower;
      const order = strict ? patternLength(text, false) : patternLength(v, true);
      // A strict pattern had no whitespace flexibility; keep it one piece.
      const pieces = strict || !HAS_SPACE.test(lower) ? [strict ? text : lower] : lower.split(/\s+/).filter(Boolean);
      const first = pieces.length ? (FIRST_WORD.exec(text.toLowerCase())?.[0] ?? null) : null;
      return { lower, first, spelling: { text, source: v, pieces, strict, key: pv.key, email: v.includes('@'), order } };
    }),
  };
  if (byPerson.size >= PERSON_CACHE_MAX) byPerson.delete(byPerson.keys().next().value as string);
  byPerson.set(id, ps);
  return ps;
}

function build(people: readonly KnownPerson[]): Matcher {
  const seen = new Set<string>();
  const all: Spelling[] = [];
  const byFirstWord = new Map<string, Spelling[]>();
  let odd = false;
  for (const p of people) {
    const ps = spellingsOf(p);
    if (!ps) continue;
    for (const { lower, first, spelling } of ps.spellings) {
      // The first person with a spelling owns it (two "Anna"s: the first one's placeholder).
      if (seen.has(lower)) continue;
      seen.add(lower);
      all.push(spelling);
      if (first === null) {
        odd = true;
        continue;
      }
      let list = byFirstWord.get(first);
      if (!list) byFirstWord.set(first, (list = []));
      list.push(spelling);
    }
  }
  // Stable, like the regex alternatives sorted by length.
  for (const list of byFirstWord.values()) if (list.length > 1) list.sort((a, b) => b.order - a.order);
  return { byFirstWord, odd, all };
}

/** The matcher for a list of people, by identity (one list per conversation; people are cached one by one). */
export function matcherFor(people: readonly KnownPerson[]): Matcher {
  let m = byList.get(people);
  if (!m) byList.set(people, (m = build(people)));
  return m;
}

function codePointBefore(text: string, i: number): number {
  const c = text.charCodeAt(i - 1);
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
    const hi = text.charCodeAt(i - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return text.codePointAt(i - 2) as number;
  }
  return c;
}

function isWordCode(c: number): boolean {
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  return WORD_CHAR.test(String.fromCodePoint(c));
}

function isSpace(c: number): boolean {
  // What \s matches.
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** End of `s` matched at `at`, or -1. `hay` is the lowercased text for loose spellings, the text for strict ones. */
function matchAt(hay: string, s: Spelling, at: number): number {
  let pos = at;
  for (let k = 0; k < s.pieces.length; k++) {
    if (k > 0) {
      const from = pos;
      while (pos < hay.length && isSpace(hay.charCodeAt(pos))) pos++;
      if (pos === from) return -1;
    }
    const piece = s.pieces[k] as string;
    if (!hay.startsWith(piece, pos)) return -1;
    pos += piece.length;
  }
  if (pos < hay.length) {
    const c = hay.codePointAt(pos) as number;
    if (c === 64 || isWordCode(c)) return -1;
  }
  return pos;
}

interface Hit {
  at: number;
  spellings: Spelling[];
}

export function detectKnownPeople(text: string, out: RawSpan[], people: readonly KnownPerson[]): void {
  if (people.length === 0) return;
  const m = matcherFor(people);
  const lower = text.toLowerCase();
  // Lowercasing that changes lengths ("İ") or spellings that start oddly: the exact regex scan.
  if (m.odd || lower.length !== text.length) return knownPeopleRegexScan(text, out, m.all);
  const hits: Hit[] = [];
  for (const [first, spellings] of m.byFirstWord) {
    let at = lower.indexOf(first);
    while (at >= 0) {
      const end = at + first.length;
      const before = at > 0 ? codePointBefore(lower, at) : -1;
      const whole = end >= lower.length || !isWordCode(lower.codePointAt(end) as number);
      if (whole && (before < 0 || (before !== 64 && before !== 46 && !isWordCode(before)))) hits.push({ at, spellings });
      at = lower.indexOf(first, at + 1);
    }
  }
  if (hits.length === 0) return;
  hits.sort((a, b) => a.at - b.at);
  // Two independent scans, as with one regex for loose and one for strict spellings.
  const strictOut: RawSpan[] = [];
  let looseEnd = 0;
  let strictEnd = 0;
  for (const hit of hits) {
    let looseDone = hit.at < looseEnd;
    let strictDone = hit.at < strictEnd;
    for (const s of hit.spellings) {
      if (s.strict ? strictDone : looseDone) continue;
      const end = matchAt(s.strict ? text : lower, s, hit.at);
      if (end < 0) continue;
      const span: RawSpan = { start: hit.at, end, type: s.email ? 'EMAIL' : 'NAME', value: text.slice(hit.at, end), key: s.key };
      if (s.strict) {
        strictOut.push(span);
        strictEnd = end;
        strictDone = true;
      } else {
        out.push(span);
        looseEnd = end;
        looseDone = true;
      }
      if (looseDone && strictDone) break;
    }
  }
  for (const span of strictOut) out.push(span);
}

/** Lowercased name words of the known people, so the name detector also finds them in new forms. */
export function knownNameWords(people: readonly KnownPerson[]): string[] {
  const words: string[] = [];
  for (const p of people) {
    for (const w of (p.name ?? '').split(/[\s,]+/)) if (w.length >= 2 && !HONORIFICS.test(w)) words.push(w.toLowerCase());
  }
  return words;
}
