/**
 * Tokens and hashed features of the name model, the twin of
 * gpu-worker/tuneloop_worker/ner/features.py: the same tokenizer, feature strings and hash, so the
 * hub scores text exactly as the trainer did. test/datasets/ner-parity.test.ts checks both
 * against the fixture the trainer writes next to the model.
 *
 * A feature is a string ("w:müller", "x3:ler") at an offset from the tagged token (-2..2), or a
 * conjunction of neighbours' strings; its weight row is `fmix32(crc32(utf8) ^ salt) & mask`.
 */
import { FIRST, LAST, nameLexicon } from '../name-lexicon.ts';
import { NON_ASCII, plainOf } from '../name-tokens.ts';

export const FEATURE_VERSION = 1;
export const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG'] as const;
export const BOS = '<s>';
export const EOS = '</s>';
export const NEWLINE = '\n';

export const KINDS = ['b', 'w', 's', 'c', 'g', 'p', 'x2', 'x3', 'x4', 'l'] as const;
export type Kind = (typeof KINDS)[number];
/** Kinds seen at each offset, in the trainer's order (OFFSET_KINDS in features.py). */
export const OFFSET_KINDS: readonly (readonly [number, readonly Kind[]])[] = [
  [0, ['b', 'w', 's', 'c', 'g', 'p', 'x2', 'x3', 'x4', 'l']],
  [-1, ['w', 's', 'c', 'g', 'x3']],
  [1, ['w', 's', 'c', 'g', 'x3']],
  [-2, ['w', 'c', 'g']],
  [2, ['w', 'c', 'g']],
];
/** Conjunctions: salt id and the (offset, kind) parts hashed together. */
export const CONJUNCTIONS: readonly (readonly [number, readonly (readonly [number, Kind])[]])[] = [
  [3, [[-1, 'c'], [0, 'c'], [1, 'c']]],
  [4, [[-1, 'g'], [0, 'g'], [1, 'g']]],
  [5, [[-1, 'w'], [0, 'c'], [0, 'g']]],
  [6, [[0, 'c'], [0, 'g'], [1, 'w']]],
];

// A trailing period stays on these words ("Dr.", "Mr.") and on a one-letter initial ("J.").
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'st', 'jr', 'sr', 'fr', 'hr', 'nr', 'str', 'bzw', 'ca', 'vgl', 'inc', 'ltd', 'co', 'corp', 'gmbh', 'usw', 'etc', 'z', 'b']);

// Same alternatives, same order as _TOKEN in features.py: line break, email, @handle or #tag, URL,
// word, any other character. Runs before "\n" and "@" are bounded, so that long runs without them cost linear time.
const TOKEN =
  /([^\S\n]{0,64}\n\s*)|([\p{L}\p{N}._%+'-]{1,64}@[\p{L}\p{N}.-]{1,255}\.\p{L}{2,63})|([@#][\p{L}\p{N}_]+)|((?:https?:\/\/|www\.)[^\s<>"]*[\p{L}\p{N}/])|([\p{L}\p{M}\p{N}]+(?:[-'’&][\p{L}\p{M}\p{N}]+)*)|(\S)/gu;
const ONE_LETTER = /^\p{L}$/u;

export interface NerToken {
  start: number;
  end: number;
  text: string;
}

/**
 * Raw text → tokens; a line break is the token "\n". The definition is TOKEN, run with exec as
 * tokenize() in features.py runs it with finditer (`tokenizeForNerRegex`); this scanner gives the
 * same tokens without a match array per token (test/datasets/ner-parity.test.ts compares the two
 * on the corpora and on random strings). No closures in here: tsx wraps each one in a helper call.
 */
export function tokenizeForNer(text: string): NerToken[] {
  const out: NerToken[] = [];
  const n = text.length;
  let lastEnd = 0;
  let p = 0;
  while (p < n) {
    const c = text.charCodeAt(p);
    let start = p;
    let end: number;
    let kind: number; // 0 line break, 1 email/url/other (as is), 2 word
    if (isSpace(c)) {
      let q = p;
      let nl = -1;
      while (q < n) {
        const d = text.charCodeAt(q);
        if (!isSpace(d)) break;
        if (d === 10 && nl < 0) nl = q;
        q++;
      }
      if (nl < 0) {
        p = q;
        continue;
      }
      // [^\S\n]{0,64}\n\s*: at most 64 blanks before the first line break.
      start = Math.max(p, nl - 64);
      end = q;
      kind = 0;
    } else {
      const w = wordEnd(text, p);
      const tail = text.charCodeAt(w);
      end = 0;
      if (tail === 64 || tail === 46 || tail === 95 || tail === 37 || tail === 43 || tail === 39 || tail === 45 || (w === p && (c === 46 || c === 95 || c === 37 || c === 43 || c === 39 || c === 45))) end = emailEnd(text, p);
      if (end === 0 && (c === 64 || c === 35)) end = handleEnd(text, p);
      if (end === 0 && (c === 104 || c === 119)) end = urlEnd(text, p);
      if (end > 0) kind = 1;
      else if (w > p) {
        end = w;
        kind = 2;
      } else {
        end = p + (c >= 0xd800 && c <= 0xdbff && p + 1 < n && isLowSurrogate(text.charCodeAt(p + 1)) ? 2 : 1);
        kind = 1;
      }
    }
    p = end;
    // A period kept on an abbreviation is not a token of its own (nor is what overlaps it).
    if (out.length > 0 && start < lastEnd) continue;
    if (kind === 0) out.push({ start, end, text: NEWLINE });
    else if (kind === 1) out.push({ start, end, text: text.slice(start, end) });
    else lastEnd = pushWord(out, text, start, end);
    if (kind !== 2) lastEnd = end;
  }
  return out;
}

/** A word token (or two, or one with its period); returns the end of what it took. */
function pushWord(out: NerToken[], text: string, start: number, end: number): number {
  const word = text.slice(start, end);
  const n = word.length;
  const c2 = word.charCodeAt(n - 2);
  const c1 = word.charCodeAt(n - 1);
  if (n > 2 && (c2 === 39 || c2 === 0x2019) && (c1 === 115 || c1 === 83)) {
    out.push({ start, end: end - 2, text: word.slice(0, -2) }, { start: end - 2, end, text: word.slice(-2) });
    return end;
  }
  if (text.charCodeAt(end) === 46 && ((n <= 2 && ONE_LETTER.test(word)) || ABBREVIATIONS.has(word.toLowerCase()))) {
    out.push({ start, end: end + 1, text: `${word}.` });
    return end + 1;
  }
  out.push({ start, end, text: word });
  return end;
}

// JavaScript's \s.
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

// Classes of the code points below 0x0250 (Latin, Latin-1, Latin Extended A/B), looked up once:
// bit 1 letter, 2 mark, 4 number. Others go through the regex.
const CLASS_LOW = (() => {
  const t = new Uint8Array(0x250);
  for (let cp = 0; cp < t.length; cp++) {
    const ch = String.fromCodePoint(cp);
    t[cp] = (/\p{L}/u.test(ch) ? 1 : 0) | (/\p{M}/u.test(ch) ? 2 : 0) | (/\p{N}/u.test(ch) ? 4 : 0);
  }
  return t;
})();
const L_RE = /^\p{L}$/u;
const M_RE = /^\p{M}$/u;
const N_RE = /^\p{N}$/u;

/** Letter / mark / number bits of a code point. */
function classOf(cp: number): number {
  if (cp < 0x250) return CLASS_LOW[cp] as number;
  const ch = String.fromCodePoint(cp);
  return (L_RE.test(ch) ? 1 : 0) | (M_RE.test(ch) ? 2 : 0) | (N_RE.test(ch) ? 4 : 0);
}

/** Code point at i (a whole surrogate pair), or -1 past the end. */
function cpAt(text: string, i: number): number {
  if (i >= text.length) return -1;
  const c = text.charCodeAt(i);
  return c < 0xd800 || c > 0xdbff ? c : (text.codePointAt(i) as number);
}

function cpLen(cp: number): number {
  return cp > 0xffff ? 2 : 1;
}

/** End of the run of letters, marks and numbers at i. */
function lmnEnd(text: string, i: number): number {
  for (;;) {
    const cp = cpAt(text, i);
    if (cp < 0 || (classOf(cp) & 7) === 0) return i;
    i += cpLen(cp);
  }
}

/** End of `[\p{L}\p{M}\p{N}]+(?:[-'’&][\p{L}\p{M}\p{N}]+)*` at p, or p. */
function wordEnd(text: string, p: number): number {
  let end = lmnEnd(text, p);
  if (end === p) return p;
  for (;;) {
    const sep = text.charCodeAt(end);
    if (sep !== 45 && sep !== 39 && sep !== 0x2019 && sep !== 38) return end;
    const after = lmnEnd(text, end + 1);
    if (after === end + 1) return end;
    end = after;
  }
}

/** `[\p{L}\p{N}._%+'-]` of the email's local part. */
function isLocal(cp: number): boolean {
  return cp === 46 || cp === 95 || cp === 37 || cp === 43 || cp === 39 || cp === 45 || (classOf(cp) & 5) !== 0;
}

/** End of `[\p{L}\p{N}._%+'-]{1,64}@[\p{L}\p{N}.-]{1,255}\.\p{L}{2,63}` at p, or 0. */
function emailEnd(text: string, p: number): number {
  let i = p;
  let count = 0;
  for (let cp = cpAt(text, i); cp >= 0 && isLocal(cp); cp = cpAt(text, i)) {
    i += cpLen(cp);
    if (++count > 64) return 0;
  }
  if (count === 0 || text.charCodeAt(i) !== 64) return 0;
  const a = i + 1;
  // The domain part: up to 255 of [\p{L}\p{N}.-], then backtracking to a "." followed by letters.
  const stops: number[] = [];
  let b = a;
  for (let cp = cpAt(text, b); cp >= 0 && stops.length < 255 && (cp === 46 || cp === 45 || (classOf(cp) & 5) !== 0); cp = cpAt(text, b)) {
    b += cpLen(cp);
    stops.push(b);
  }
  for (let k = stops.length - 1; k >= 0; k--) {
    const s = stops[k] as number;
    if (text.charCodeAt(s) !== 46) continue;
    let e = s + 1;
    let letters = 0;
    for (let cp = cpAt(text, e); cp >= 0 && letters < 63 && (classOf(cp) & 1) !== 0; cp = cpAt(text, e)) {
      e += cpLen(cp);
      letters++;
    }
    if (letters >= 2) return e;
  }
  return 0;
}

/** End of `[@#][\p{L}\p{N}_]+` at p, or 0. */
function handleEnd(text: string, p: number): number {
  let i = p + 1;
  for (let cp = cpAt(text, i); cp >= 0 && (cp === 95 || (classOf(cp) & 5) !== 0); cp = cpAt(text, i)) i += cpLen(cp);
  return i > p + 1 ? i : 0;
}

/** End of `(?:https?:\/\/|www\.)[^\s<>"]*[\p{L}\p{N}/]` at p, or 0. */
function urlEnd(text: string, p: number): number {
  let i: number;
  if (text.startsWith('https://', p)) i = p + 8;
  else if (text.startsWith('http://', p)) i = p + 7;
  else if (text.startsWith('www.', p)) i = p + 4;
  else return 0;
  let end = 0;
  for (let cp = cpAt(text, i); cp >= 0 && !isSpace(cp) && cp !== 60 && cp !== 62 && cp !== 34; cp = cpAt(text, i)) {
    i += cpLen(cp);
    if (cp === 47 || (classOf(cp) & 5) !== 0) end = i;
  }
  return end;
}

/** The definition of tokenizeForNer: TOKEN run with exec. Slower; kept for the tests. */
export function tokenizeForNerRegex(text: string): NerToken[] {
  const out: NerToken[] = [];
  const re = TOKEN;
  re.lastIndex = 0;
  let lastEnd = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    if (out.length > 0 && start < lastEnd) continue;
    if (m[1] !== undefined) out.push({ start, end, text: NEWLINE });
    else if (m[5] === undefined) out.push({ start, end, text: m[0] });
    else {
      lastEnd = pushWord(out, text, start, end);
      continue;
    }
    lastEnd = end;
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (zlib's) of the UTF-8 bytes of `s`; a lone surrogate counts as U+FFFD. */
export function crc32(s: string): number {
  let c = -1;
  const byte = (b: number) => {
    c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  };
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp < 0x80) {
      byte(cp);
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x800) {
      byte(0xc0 | (cp >> 6));
    } else if (cp < 0x10000) {
      byte(0xe0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 0x3f));
    } else {
      byte(0xf0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3f));
      byte(0x80 | ((cp >> 6) & 0x3f));
    }
    if (cp >= 0x80) byte(0x80 | (cp & 0x3f));
  }
  return (c ^ -1) >>> 0;
}

/** MurmurHash3's finaliser. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const offsetSalt = (offset: number) => Math.imul(0x9e3779b1, offset + 3) >>> 0;
export const conjSalt = (id: number) => Math.imul(0x7feb352d, id + 11) >>> 0;
export const combine = (a: number, b: number) => fmix32((Math.imul(a, 0x01000193) ^ b) >>> 0);

const UPPER = /\p{Uppercase}/u;
const LOWER = /\p{Lowercase}/u;
const DECIMAL = /\p{Nd}/u;
const LETTER = /\p{L}/u;

function charClass(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c < 128) {
    if (c >= 65 && c <= 90) return 'X';
    if (c >= 97 && c <= 122) return 'x';
    if (c >= 48 && c <= 57) return 'd';
    return ch;
  }
  if (UPPER.test(ch)) return 'X';
  if (LOWER.test(ch)) return 'x';
  if (DECIMAL.test(ch)) return 'd';
  if (LETTER.test(ch)) return 'a';
  return ch;
}

/** Character classes with repeats collapsed, at most 6 ("Müller" → "Xx"). */
export function shape(token: string): string {
  let out = '';
  let last = '';
  let count = 0;
  for (const ch of token) {
    const c = charClass(ch);
    if (c !== last) {
      out += c;
      last = c;
      count++;
    }
    if (count >= 6) break;
  }
  return out;
}

export function capClass(token: string): string {
  const first = String.fromCodePoint(token.codePointAt(0) as number);
  const c = charClass(first);
  if (c === 'X') {
    if ([...token].length <= 1) return 'U';
    for (const ch of token) if (charClass(ch) === 'x') return 'U';
    return 'A';
  }
  if (c === 'x') return 'l';
  if (c === 'd') return 'd';
  if (c === 'a') return 'a';
  return token === NEWLINE ? 'n' : 'p';
}

function lengthBucket(n: number): string {
  return n === 1 ? '1' : n === 2 ? '2' : n <= 4 ? '4' : n <= 8 ? '8' : '9';
}

/** Word-list flags of a lower-cased word, as tokenize() in name-tokens.ts computes them. */
export function lexiconFlag(lower: string): number {
  const flags = nameLexicon().flags;
  let f = flags.get(lower) ?? 0;
  if (NON_ASCII.test(lower)) f |= (flags.get(plainOf(lower)) ?? 0) & (FIRST | LAST);
  return f;
}

/** The feature strings of one token by kind (word_features in features.py). */
export function wordFeatures(token: string): Partial<Record<Kind, string>> {
  const lw = token.toLowerCase();
  const cps = NON_ASCII.test(lw) ? [...lw] : null;
  const n = cps ? cps.length : lw.length;
  const head = (k: number) => (cps ? cps.slice(0, k).join('') : lw.slice(0, k));
  const tail = (k: number) => (cps ? cps.slice(n - k).join('') : lw.slice(n - k));
  const feats: Partial<Record<Kind, string>> = {
    b: 'b',
    w: `w:${lw}`,
    s: `s:${shape(token)}`,
    c: `c:${capClass(token)}`,
    g: `g:${lexiconFlag(lw)}`,
    l: `l:${lengthBucket(n)}`,
  };
  if (n >= 4) {
    feats.p = `p:${head(3)}`;
    feats.x3 = `x3:${tail(3)}`;
  }
  if (n >= 3) feats.x2 = `x2:${tail(2)}`;
  if (n >= 5) feats.x4 = `x4:${tail(4)}`;
  return feats;
}

/**
 * The weight rows of every token of one sequence, in the trainer's order (feature_rows in
 * features.py). The tagger sums the same rows faster through its per-word cache; this plain
 * version is what the parity test compares with the trainer's.
 */
export function featureRows(tokens: readonly string[], buckets: number): number[][] {
  const mask = buckets - 1;
  const hashes = (t: string) => {
    const h: Partial<Record<Kind, number>> = {};
    for (const [kind, s] of Object.entries(wordFeatures(t)) as [Kind, string][]) h[kind] = crc32(s);
    return h;
  };
  const own = tokens.map(hashes);
  const bos = hashes(BOS);
  const eos = hashes(EOS);
  const at = (i: number) => (i < 0 ? bos : i >= tokens.length ? eos : (own[i] as Partial<Record<Kind, number>>));
  return tokens.map((_, i) => {
    const row: number[] = [];
    for (const [offset, kinds] of OFFSET_KINDS) {
      const h = at(i + offset);
      for (const kind of kinds) {
        const v = h[kind];
        if (v !== undefined) row.push(fmix32((v ^ offsetSalt(offset)) >>> 0) & mask);
      }
    }
    for (const [id, parts] of CONJUNCTIONS) {
      let acc = conjSalt(id);
      for (const [offset, kind] of parts) acc = combine(acc, at(i + offset)[kind] as number);
      row.push(fmix32(acc) & mask);
    }
    return row;
  });
}
