/**
 * Hashed features of the name model, the twin of gpu-worker/tuneloop_worker/ner/features.py: the
 * same feature strings and hash (and, in tokenize.ts, the same tokens), so the hub scores text
 * exactly as the trainer did. test/datasets/ner-parity.test.ts checks both
 * against the fixture the trainer writes next to the model.
 *
 * A feature is a string ("w:müller", "x3:ler") at an offset from the tagged token (-2..2), or a
 * conjunction of neighbours' strings; its weight row is `fmix32(crc32(utf8) ^ salt) & mask`.
 */
import { FIRST, LAST, nameLexicon } from '../name-lexicon.ts';
import { NON_ASCII, plainOf } from '../name-tokens.ts';
import { NEWLINE } from './tokenize.ts';

export const FEATURE_VERSION = 1;
export const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG'] as const;
export const BOS = '<s>';
export const EOS = '</s>';

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
