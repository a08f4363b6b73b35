/**
 * The tokenizer of the name model, the twin of tokenize() in
 * gpu-worker/tuneloop_worker/ner/features.py: a line break (with the blanks around it) is one token
 * "\n"; an email, an @handle or #tag and a URL stay one token each (as the tweet corpora have
 * them); a word keeps inner hyphens and apostrophes but gives up a possessive 's, and keeps a
 * trailing period only as an initial or a listed abbreviation ("J.", "Dr."); anything else is a
 * token of one character. Offsets are UTF-16 code units, as everywhere in the scrubber.
 */

export const NEWLINE = '\n';

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
