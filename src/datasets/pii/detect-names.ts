/**
 * Person names without a model: gazetteers of first names and surnames (many nationalities, DE/EN
 * heavy) plus capitalisation and context cues ("Herr", "Mr.", "Dear", "Hallo", "Mein Name ist",
 * "Name:", a signature after "Viele Grüße"). German capitalises every noun, so a word that is both
 * a name and a common word ("Koch", "Rose", "Will") counts only with support: a cue, a first name
 * before it, or a surname after it; a lone surname after an article ("der Fischer") is a noun.
 */
import { COMMON, FIRST, LAST, nameLexicon, STOP } from './name-lexicon.ts';
import { NON_ASCII, plainOf, tokenize, type Token } from './name-tokens.ts';
import type { RawSpan } from './types.ts';


// The next capitalised word is a name, whatever it is ("Herr Odobaldus", "Mr. Jones").
const TITLES = new Set(['herr', 'herrn', 'frau', 'mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'sir', 'madame', 'mme', 'monsieur', 'fräulein']);
const GREETINGS = new Set(['dear', 'hi', 'hello', 'hey', 'hallo', 'liebe', 'lieber', 'servus', 'moin', 'hej', 'hola', 'bonjour', 'ciao', 'thanks', 'danke']);
const PARTICLES = new Set(['von', 'van', 'der', 'den', 'de', 'di', 'da', 'del', 'della', 'le', 'la', 'du', 'zu', 'ten', 'ter', 'bin', 'al', 'el', 'dos']);
// German articles and determiners: after them a capitalised word is a noun ("der Fischer").
const DETERMINERS = new Set([
  'der', 'die', 'das', 'den', 'dem', 'des', 'ein', 'eine', 'einen', 'einem', 'einer', 'eines', 'kein', 'keine',
  'keinen', 'keinem', 'keiner', 'mein', 'meine', 'meinen', 'meinem', 'meiner', 'dein', 'sein', 'seine', 'seinen',
  'seinem', 'ihr', 'ihre', 'ihren', 'ihrem', 'unser', 'unsere', 'diese', 'dieser', 'dieses', 'diesem', 'diesen',
  'jede', 'jeder', 'jedes', 'im', 'am', 'zum', 'zur', 'vom', 'beim', 'ins',
]);
// Speech verbs before a name that ends the clause: "sagte Petkovic .", "said Smith,".
const SPEECH = new Set(['sagte', 'sagt', 'meinte', 'erklärte', 'betonte', 'ergänzte', 'so', 'said', 'says', 'told', 'added', 'wrote', 'schrieb']);
// Phrases right before a name. Checked on at most 40 characters before the token.
const INTRO = /(?:\bmy name is|\bmein name ist|\bcalls? me|\bnamed(?: him| her)?|\bnamens|\bich hei(?:ß|ss)e|\bthis is|\bhier ist|\bhier spricht|\bname\s*:|\bansprechpartner(?:in)?\s*:|\bcontact\s*:|\bkontakt\s*:|\bsigned\s*:?|\bfrom\s*:|\bvon\s*:|\bcc\s*:|\bto\s*:|\ban\s*:|\bkunde\s*:|\bcustomer\s*:|\bcalled)\s*$/i;
// Weaker: "I'm Anna", "ich bin Anna" — but "ich bin Kunde", so only for words in the name lists.
const WEAK_INTRO = /(?:\bI'm|\bI am|\b[Ii]ch bin)\s+$/;
// A signature: a closing phrase, then a line break (or a comma on the same line), then the name.
const CLOSING = /(?:regards|grüßen|grüße|grüsse|gruß|gruss|cheers|thanks|thank you|danke(?: schön| sehr)?|sincerely|yours(?: truly| sincerely)?|best|mfg|lg|vg|bg|ciao|tschüss|bis bald|take care|--)\s*[,.!]?\s*(?:\n\s*|,\s*)$/i;
const SURNAME_SUFFIX = /(?:ović|ević|vić|ić|ski|sky|ska|cki|dzki|escu|eanu|oğlu|opoulos|enko|chuk|yan)$/;
// A chain containing one of these is an organisation ("Franzis Verlag", "Matthew Humberstone School").
const ORG_WORDS = new Set([
  'gmbh', 'ag', 'kg', 'se', 'inc', 'ltd', 'llc', 'plc', 'corp', 'company', 'verlag', 'school', 'college', 'university',
  'universität', 'orchestra', 'orchester', 'club', 'fc', 'bank', 'systems', 'group', 'gruppe', 'holding', 'indexes',
  'comics', 'winery', 'stiftung', 'institut', 'institute', 'museum', 'hotel', 'restaurant', 'partners', 'consulting',
  'solutions', 'services', 'technologies', 'labs', 'software', 'media', 'foundation', 'e.v', 'ev',
]);
// Before a lone surname-like word these mean a place: "nach Kiel", "in London", "from Paris".
const PLACE_PREPOSITIONS = new Set(['in', 'nach', 'aus', 'from', 'to', 'at', 'near', 'into']);

export interface NameOptions {
  /** Lowercased name words already seen in this conversation; they count alone. */
  memory?: ReadonlySet<string>;
  /** Lowercased words never taken for names. */
  allowWords?: ReadonlySet<string>;
}

export function detectNames(text: string, out: RawSpan[], opts: NameOptions = {}): void {
  const tokens = tokenize(text);
  const allow = opts.allowWords;
  const spans: [number, number][] = []; // token ranges, in order
  let i = 0;
  while (i < tokens.length) {
    const tok = tokens[i] as Token;
    if ((tok.f & STOP) !== 0 || TITLES.has(tok.lower) || allow?.has(tok.lower)) {
      i++;
      continue;
    }
    const last = tok.cap ? capitalisedName(text, tokens, i, opts) : lowercaseName(text, tokens, i);
    if (last < 0) {
      i++;
      continue;
    }
    if (isOrganisation(tokens, i, last) || isPlace(text, tokens, i, last)) {
      i = last + 1;
      continue;
    }
    spans.push([extendLeft(text, tokens, i, last), last]);
    i = last + 1;
  }
  const signature = signatureLine(text, tokens, spans, allow);
  if (signature) spans.push(signature);
  for (const [first, last] of withCoordinated(text, tokens, spans, allow)) {
    const from = (tokens[first] as Token).start;
    const end = (tokens[last] as Token).end;
    out.push({ start: from, end, type: 'NAME', value: text.slice(from, end) });
  }
}

const CONJUNCTIONS = new Set(['and', 'und', 'or', 'oder', 'sowie']);
// Last lines that sign off as a department, not a person ("Customer Support", "Ihr Kundenservice").
const SIGNOFF_WORDS = new Set([
  'team', 'support', 'service', 'customer', 'kundenservice', 'kundendienst', 'kundensupport', 'helpdesk', 'help', 'desk',
  'care', 'sales', 'billing', 'office', 'department', 'abteilung', 'management', 'administration', 'verwaltung',
  'buchhaltung', 'vertrieb', 'sent', 'gesendet', 'iphone', 'android', 'mobile',
]);

/**
 * A signature without a closing phrase: the text's last line is two or three capitalised words
 * and nothing else ("…, Mastercard 5500….\nJürgen Weißhaupt"), right after a line that ends a
 * sentence. Unlisted names count here, so the words must not be function, common or sign-off words.
 */
function signatureLine(text: string, tokens: Token[], spans: [number, number][], allow: ReadonlySet<string> | undefined): [number, number] | null {
  const n = tokens.length;
  if (n < 3) return null;
  const lastTok = tokens[n - 1] as Token;
  if (trimmedEnd(text) !== lastTok.end) return null;
  const lineStart = text.lastIndexOf('\n', lastTok.start - 1) + 1;
  if (lineStart === 0) return null;
  let first = n - 1;
  while (first > 0 && (tokens[first - 1] as Token).start >= lineStart) first--;
  const count = n - first;
  if (count < 2 || count > 3 || text.slice(lineStart, (tokens[first] as Token).start).trim() !== '') return null;
  // The line before (ignoring blank lines) ends a sentence.
  const previousEnd = trimmedEnd(text, lineStart);
  const stop = text.charCodeAt(previousEnd - 1);
  if (stop !== 46 && stop !== 33 && stop !== 63) return null;
  for (let k = first; k < n; k++) {
    const t = tokens[k] as Token;
    if (!t.cap || t.allCaps || t.end - t.start < 2) return null;
    const w = t.lower;
    if ((t.f & (STOP | COMMON)) !== 0 || TITLES.has(w) || GREETINGS.has(w) || DETERMINERS.has(w) || ORG_WORDS.has(w) || SIGNOFF_WORDS.has(w) || allow?.has(w)) return null;
    if (k > first && !singleSpace(text, tokens[k - 1] as Token, t)) return null;
  }
  for (const [a, b] of spans) if (b >= first && a <= n - 1) return null;
  return [first, n - 1];
}

/**
 * "Kónya, Becker and Vasquez": a capitalised word listed next to a found name (", ", "and",
 * "und") is a name too. One pass each way over the found spans.
 */
function withCoordinated(text: string, tokens: Token[], spans: [number, number][], allow: ReadonlySet<string> | undefined): [number, number][] {
  if (spans.length === 0) return spans;
  const taken = new Set<number>();
  for (const [a, b] of spans) for (let k = a; k <= b; k++) taken.add(k);
  const candidate = (k: number) => {
    const t = tokens[k];
    return t !== undefined && !taken.has(k) && t.cap && !t.allCaps && (t.f & STOP) === 0 && (t.f & COMMON) === 0 && !TITLES.has(t.lower) && !allow?.has(t.lower) && !ORG_WORDS.has(t.lower);
  };
  // Between two tokens: ", " directly, or " and " as its own token.
  const linked = (left: number, right: number): number => {
    const l = tokens[left] as Token;
    const r = tokens[right];
    if (r && /^\s*,\s*$/.test(text.slice(l.end, r.start))) return right;
    const conj = tokens[left + 1];
    const after = tokens[left + 2];
    if (conj && after && CONJUNCTIONS.has(conj.lower) && /^\s+$/.test(text.slice(l.end, conj.start)) && /^\s+$/.test(text.slice(conj.end, after.start))) return left + 2;
    return -1;
  };
  const added: [number, number][] = [];
  for (const [a, b] of spans) {
    let right = linked(b, b + 1);
    while (right >= 0 && candidate(right)) {
      taken.add(right);
      added.push([right, right]);
      right = linked(right, right + 1);
    }
    // Leftwards: "Usamov and Bowers", "Gerste, Johnson".
    for (const left of [a - 1, a - 2]) {
      if (left >= 0 && candidate(left) && linked(left, left + 1) === a) {
        taken.add(left);
        added.push([left, left]);
        break;
      }
    }
  }
  return added.length ? [...spans, ...added].sort((x, y) => x[0] - y[0]) : spans;
}

/** Index of the last token of a name starting at capitalised token i, or -1. */
function capitalisedName(text: string, tokens: Token[], i: number, opts: NameOptions): number {
  const tok = tokens[i] as Token;
  const prev = tokens[i - 1];
  const before = text.slice(Math.max(0, tok.start - 40), tok.start);
  const w = tok.lower;
  const listed = (tok.f & (FIRST | LAST)) !== 0;
  if (prev !== undefined && hasCue(text, prev, tok, before)) return extend(text, tokens, i, opts.allowWords);
  if (listed && WEAK_INTRO.test(before)) return extend(text, tokens, i, opts.allowWords);
  if (tok.allCaps) {
    // Headings and acronyms ("IBAN", "LONDON"): only "JOHN SMITH" with both words listed.
    const next = tokens[i + 1];
    return (tok.f & FIRST) !== 0 && next?.allCaps && (next.f & LAST) !== 0 && singleSpace(text, tok, next) ? i + 1 : -1;
  }
  if (startsName(text, tokens, i, opts.memory)) return extend(text, tokens, i, opts.allowWords);
  // "…, sagte Petkovic ." / "said Smith,": a capitalised word ending the clause after a speech verb.
  if (prev !== undefined && SPEECH.has(prev.lower)) {
    const last = extend(text, tokens, i, opts.allowWords);
    if (/^\s*(?:[.,;:!?"“”»«]|$)/.test(text.slice((tokens[last] as Token).end, (tokens[last] as Token).end + 3))) return last;
  }
  return -1;
}

/** "naomi ryan", "my name is vitoria": lowercase names, only with both words listed or a cue. */
function lowercaseName(text: string, tokens: Token[], i: number): number {
  const tok = tokens[i] as Token;
  const w = tok.lower;
  if ((tok.f & FIRST) === 0 || (tok.f & COMMON) !== 0 || w.length < 3) return -1;
  const before = text.slice(Math.max(0, tok.start - 40), tok.start);
  const next = tokens[i + 1];
  const pair = next !== undefined && !next.cap && singleSpace(text, tok, next) && (next.f & LAST) !== 0 && (next.f & COMMON) === 0 && (next.f & STOP) === 0;
  if (pair) return i + 1;
  return introBefore(before) ? i : -1;
}

/** "Dreux Joly" at the start of a line: an unlisted first name before a listed surname. */
function extendLeft(text: string, tokens: Token[], first: number, last: number): number {
  const prev = tokens[first - 1];
  const tok = tokens[first] as Token;
  if (!prev || !prev.cap || prev.allCaps || !singleSpace(text, prev, tok)) return first;
  // Only for a lone surname: "Anna Schmidt" needs no help, and "Nochmal Anna Schmidt" must not grow.
  if (last !== first || (tok.f & FIRST) !== 0 || (tok.f & LAST) === 0) return first;
  if ((prev.f & STOP) !== 0 || TITLES.has(prev.lower) || (prev.f & COMMON) !== 0) return first;
  const beforePrev = tokens[first - 2];
  const lineStart = beforePrev === undefined || /[\n:,;(]/.test(text.slice(beforePrev.end, prev.start));
  return lineStart ? first - 1 : first;
}

function isOrganisation(tokens: Token[], first: number, last: number): boolean {
  for (let k = first; k <= last + 1 && k < tokens.length; k++) if (ORG_WORDS.has((tokens[k] as Token).lower)) return true;
  return false;
}

/** "nach Kiel": one word, listed only as a surname, after a place preposition. */
function isPlace(text: string, tokens: Token[], first: number, last: number): boolean {
  const tok = tokens[first] as Token;
  const prev = tokens[first - 1];
  if (first !== last || !prev || !PLACE_PREPOSITIONS.has(prev.lower) || (tok.f & FIRST) !== 0) return false;
  return /^\s+$/.test(text.slice(prev.end, tok.start));
}

/** Set lookup that also tries the word without accents ("Vásquez" in the list, "Vasquez" typed). */
function has(set: ReadonlySet<string>, w: string): boolean {
  return set.has(w) || (NON_ASCII.test(w) && set.has(plainOf(w)));
}

// Accent-free forms of the non-ASCII words seen lately: normalize() is slow and German text repeats words.
/** A title, greeting, introduction or signature right before `tok`. */
function hasCue(text: string, prev: Token, tok: Token, before: string): boolean {
  const gap = text.slice(prev.end, tok.start);
  // "Mr. Jones", "Herr Müller", and tokenised text's "Mrs . Finch".
  if (TITLES.has(prev.lower) && /^ ?\.?\s{1,2}$/.test(gap)) return true;
  if (GREETINGS.has(prev.lower) && /^[ \t]{1,2}$/.test(gap)) return true;
  return introBefore(before) || closingBefore(before);
}

// Last words of the INTRO phrases ("e" for "heiße", whose ß ends the ASCII scan).
const INTRO_LAST = new Set(['is', 'ist', 'me', 'named', 'him', 'her', 'namens', 'heisse', 'e', 'spricht', 'signed', 'called']);

function isRegexSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Index after the last non-whitespace character of `s` before `end`. */
function trimmedEnd(s: string, end = s.length): number {
  let j = end;
  while (j > 0 && isRegexSpace(s.charCodeAt(j - 1))) j--;
  return j;
}

/**
 * INTRO, tested only when `before` ends (before whitespace) in ":" or in one of its phrases' last
 * words: the regex is anchored at the end, and V8 would try it from each of the 40 positions.
 */
function introBefore(before: string): boolean {
  const j = trimmedEnd(before);
  if (j === 0) return false;
  if (before.charCodeAt(j - 1) !== 58) {
    let k = j;
    while (k > 0 && isAsciiLetter(before.charCodeAt(k - 1))) k--;
    if (k === j || !INTRO_LAST.has(before.slice(k, j).toLowerCase())) return false;
  }
  return INTRO.test(before);
}

/** CLOSING ends in a line break or a comma, then only whitespace: check that before the regex. */
function closingBefore(before: string): boolean {
  const j = trimmedEnd(before);
  if (before.charCodeAt(j - 1) !== 44 && before.indexOf('\n', j) < 0) return false;
  return CLOSING.test(before);
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Gazetteer evidence for a name starting at token i. */
function startsName(text: string, tokens: Token[], i: number, memory: ReadonlySet<string> | undefined): boolean {
  const tok = tokens[i] as Token;
  const w = tok.lower;
  if (memory?.has(w)) return true;
  const common = (tok.f & COMMON) !== 0;
  if ((tok.f & FIRST) !== 0) return !common || nextIsSurname(text, tokens, i);
  if ((tok.f & LAST) !== 0) {
    if (!common) return !afterDeterminer(text, tokens, i);
    return false;
  }
  // German genitive: "Schirachs", "Merkels".
  if (w.length >= 5 && w.endsWith('s')) {
    const stem = w.slice(0, -1);
    const lex = nameLexicon();
    if ((has(lex.last, stem) || has(lex.first, stem)) && !lex.common.has(stem) && !afterDeterminer(text, tokens, i)) return true;
  }
  return !tok.allCaps && w.length >= 5 && SURNAME_SUFFIX.test(w);
}

function nextIsSurname(text: string, tokens: Token[], i: number): boolean {
  const next = tokens[i + 1];
  if (!next || !next.cap || !singleSpace(text, tokens[i] as Token, next)) return false;
  // "Will Smith", "Grant Leadbitter": any capitalised non-word after a first name that is also a word.
  return (next.f & STOP) === 0 && ((next.f & LAST) !== 0 || (next.f & COMMON) === 0);
}

function afterDeterminer(text: string, tokens: Token[], i: number): boolean {
  const prev = tokens[i - 1];
  return prev !== undefined && DETERMINERS.has(prev.lower) && /^\s+$/.test(text.slice(prev.end, (tokens[i] as Token).start));
}

function singleSpace(text: string, a: Token, b: Token): boolean {
  const gap = b.start - a.end;
  if (gap === 1) return text.charCodeAt(a.end) === 32 || text.charCodeAt(a.end) === 0xa0;
  // "J. Smith": an initial's period.
  return gap === 2 && a.end - a.start === 1 && text[a.end] === '.' && text.charCodeAt(a.end + 1) === 32;
}

/** Extends a name over following capitalised words, initials and particles ("van der Vaart"). */
function extend(text: string, tokens: Token[], i: number, allow: ReadonlySet<string> | undefined): number {
  let last = i;
  while (last - i < 4) {
    const cur = tokens[last] as Token;
    const next = tokens[last + 1];
    if (!next || !singleSpace(text, cur, next)) break;
    const initial = next.end - next.start === 1 && next.cap;
    if (next.cap && (initial || ((next.f & STOP) === 0 && !TITLES.has(next.lower) && !allow?.has(next.lower)))) {
      last++;
      continue;
    }
    // A particle counts only when a capitalised word follows it.
    const after = tokens[last + 2];
    if (PARTICLES.has(next.lower) && !next.cap && after?.cap && singleSpace(text, next, after)) {
      last += 2;
      continue;
    }
    break;
  }
  return last;
}
