/**
 * Viterbi decoding of the linear-chain CRF in model.ts. A token's emission is the sum of its
 * features' weight rows. Scattered reads from a table of megabytes are what costs, so the rows
 * are summed ahead wherever the inputs allow, and the results stay those of the plain sum
 * (featureRows in features.ts; test/datasets/ner-parity.test.ts):
 *   - a word's own features at each offset do not depend on its neighbours: summed once per
 *     distinct word and cached (support text repeats its words);
 *   - a conjunction of capitalisation classes and word-list flags has a few hundred (or thousand)
 *     possible values: all of its rows are read once, when the tagger is built;
 *   - a conjunction of one word with such classes is cached on that word, per class value;
 *   - a line (the text between line breaks) is tokenized once, and the emissions of its tokens
 *     whose window (two tokens each way) stays inside it are cached with it: support text
 *     repeats whole lines (greetings, macros, sign-offs) and personalises only a few. The two
 *     tokens at each end of a line see the neighbouring lines and are computed per message.
 * Viterbi then runs over the whole message, so a line's labels still depend on its neighbours.
 */
import { BOS, capClass, CONJUNCTIONS, crc32, combine, conjSalt, EOS, fmix32, LABELS, lexiconFlag, OFFSET_KINDS, offsetSalt, wordFeatures, type Kind } from './features.ts';
import type { NerModel } from './model.ts';
import { NEWLINE, tokenizeForNer, type NerToken } from './tokenize.ts';
import { viterbiFor, type Viterbi } from './viterbi.ts';
import { C, C_HASH, CAP_CLASSES, classIndex, conjHash, G_HASH, KIND_OF, RADIX, W, type HashConj, type Part, type TableConj, type WordConj, type WordEntry } from './conjunctions.ts';

const K = LABELS.length;
const OFFSETS = OFFSET_KINDS.map(([o]) => o);
// How far a token's features look; the line caches below are written for exactly two.
const REACH = 2;
if (Math.max(...OFFSETS.map(Math.abs), ...CONJUNCTIONS.flatMap(([, parts]) => parts.map(([o]) => Math.abs(o)))) !== REACH) {
  throw new Error('tagger.ts assumes features that look two tokens each way');
}
const WORDS_MAX = 50_000;
const LINES_MAX = 64_000;
const LINE_CHARS_MAX = 1_000;
const WORD_CONJ_SLOTS = 4;

/** A line's tokens (offsets from the line's start), their entries, and its inner emissions. */
interface Line {
  start: Int32Array;
  end: Int32Array;
  entries: WordEntry[];
  /** Emissions of tokens REACH .. length-REACH-1, [(i - REACH) * K + label]. */
  inner: Float64Array;
  /** The emissions of its first (last) REACH tokens for the two entries last seen before (after) it. */
  left: LineEnd;
  right: LineEnd;
}

interface LineEnd {
  a: WordEntry | undefined;
  b: WordEntry | undefined;
  emit: Float64Array;
}


/** A tagged text: token i < n spans [start[i], end[i]) and has label labels[i] (an index into LABELS). */
export interface Tagged {
  n: number;
  start: Int32Array;
  end: Int32Array;
  labels: Int8Array;
}

export class NerTagger {
  private readonly words = new Map<string, WordEntry>();
  private lines = new Map<string, Line>();
  private oldLines = new Map<string, Line>();
  private readonly salts = OFFSETS.map(offsetSalt);
  /** The conjunctions by how they are evaluated (see the file comment). */
  private readonly tables: TableConj[] = [];
  private readonly wordConjs: WordConj[] = [];
  private readonly hashConjs: HashConj[] = [];
  private readonly viterbi: Viterbi;
  // Scratch arrays, reused by every call (see tag()).
  private readonly parts: Line[] = [];
  private readonly shifts: number[] = [];
  private readonly breaks: number[] = [];
  private seq: WordEntry[] = [];
  private start = new Int32Array(256);
  private end = new Int32Array(256);
  private labels = new Int8Array(256);
  private emit = new Float64Array(256 * K);
  private back = new Int8Array(256 * K);
  private readonly bos: WordEntry;
  private readonly eos: WordEntry;
  private readonly newline: WordEntry;

  constructor(private readonly model: NerModel) {
    CONJUNCTIONS.forEach(([id, raw], index) => {
      const parts = raw.map(([offset, kind]) => ({ offset, kind: KIND_OF[kind] as number }));
      const salt = conjSalt(id);
      const words = parts.filter((p) => p.kind === W);
      if (words.length === 0) this.tables.push({ parts, table: this.conjTable(salt, parts) });
      else if (words.length === 1) this.wordConjs.push({ index, word: words[0] as Part, others: parts.filter((p) => p.kind !== W), salt, parts });
      else this.hashConjs.push({ parts, salt });
    });
    this.viterbi = viterbiFor(model);
    this.bos = this.entry(BOS);
    this.eos = this.entry(EOS);
    this.newline = this.entry(NEWLINE);
  }

  /**
   * Labels for every token of `text`. The arrays of the result are reused by the next call: read
   * them before tagging again.
   */
  tag(text: string): Tagged {
    // Lines and the line-break tokens between them, as tokenizeForNer would cut them.
    const parts = this.parts;
    const shifts = this.shifts;
    const breaks = this.breaks;
    let lines = 0;
    let n = 0;
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      let runStart = nl < 0 ? text.length : nl;
      while (runStart > from && isBlank(text.charCodeAt(runStart - 1))) runStart--;
      const line = this.line(text.slice(from, runStart));
      parts[lines] = line;
      shifts[lines] = from;
      lines++;
      n += line.entries.length;
      if (nl < 0) break;
      let runEnd = nl + 1;
      while (runEnd < text.length && isBlank(text.charCodeAt(runEnd))) runEnd++;
      // [^\S\n]{0,64}\n\s*: a line-break token starts at most 64 blanks before its first "\n".
      breaks[2 * lines - 2] = Math.max(runStart, nl - 64);
      breaks[2 * lines - 1] = runEnd;
      n++;
      from = runEnd;
    }
    this.reserve(n);
    const { start, end, seq, emit } = this;
    for (let r = 0; r < REACH; r++) {
      seq[r] = this.bos;
      seq[n + REACH + r] = this.eos;
    }
    let t = 0;
    for (let li = 0; li < lines; li++) {
      const line = parts[li] as Line;
      const shift = shifts[li] as number;
      const count = line.entries.length;
      for (let i = 0; i < count; i++) {
        start[t] = (line.start[i] as number) + shift;
        end[t] = (line.end[i] as number) + shift;
        seq[t + REACH] = line.entries[i] as WordEntry;
        t++;
      }
      if (li < lines - 1) {
        start[t] = breaks[2 * li] as number;
        end[t] = breaks[2 * li + 1] as number;
        seq[t + REACH] = this.newline;
        t++;
      }
    }
    // Emissions: a line's inner tokens from its cache; its ends and the line breaks now.
    emit.fill(0, 0, n * K);
    t = 0;
    for (let li = 0; li < lines; li++) {
      const line = parts[li] as Line;
      const count = line.entries.length;
      if (count > 2 * REACH) {
        emit.set(line.inner, (t + REACH) * K);
        // Outside neighbours: the entries at t-2, t-1 (seq[t], seq[t+1]) and at t+count, t+count+1.
        this.lineEnd(line.left, seq, t, t, emit);
        this.lineEnd(line.right, seq, t + count + REACH, t + count - REACH, emit);
      } else {
        for (let i = t; i < t + count; i++) this.emission(seq, i + REACH, emit, i * K);
      }
      t += count;
      if (li < lines - 1) {
        this.emission(seq, t + REACH, emit, t * K);
        t++;
      }
    }
    if (n > 0) this.viterbi(emit, n, this.labels, this.back);
    return { n, start, end, labels: this.labels };
  }

  /** Token i of the text tagged last: its lower-cased form and whether it is capitalised ("Anna", not "ANNA"). */
  token(i: number): { lower: string; capitalised: boolean } {
    return this.seq[i + REACH] as WordEntry;
  }

  /**
   * Adds the emissions of the REACH tokens from full position `first` into emit, from `end` when
   * the two outside entries seq[key], seq[key + 1] are the ones it was computed for.
   */
  private lineEnd(end: LineEnd, seq: WordEntry[], key: number, first: number, emit: Float64Array): void {
    const a = seq[key] as WordEntry;
    const b = seq[key + 1] as WordEntry;
    if (end.a !== a || end.b !== b) {
      end.a = a;
      end.b = b;
      end.emit.fill(0);
      for (let i = 0; i < REACH; i++) this.emission(seq, first + i + REACH, end.emit, i * K);
    }
    emit.set(end.emit, first * K);
  }

  /** Grows the scratch arrays to hold n tokens. */
  private reserve(n: number): void {
    if (n <= this.start.length) return;
    const size = Math.max(n, 2 * this.start.length);
    this.start = new Int32Array(size);
    this.end = new Int32Array(size);
    this.labels = new Int8Array(size);
    this.emit = new Float64Array(size * K);
    this.back = new Int8Array(size * K);
  }

  /**
   * A line's tokens and emissions, from the cache or computed now. The cache has two generations:
   * a hit in the old one moves the line to the young one, and when the young one is full the old
   * one is dropped, so lines in use stay and a hit costs one or two lookups.
   */
  private line(text: string): Line {
    let line = this.lines.get(text);
    if (line) return line;
    line = this.oldLines.get(text);
    if (line) {
      this.keepLine(text, line);
      return line;
    }
    const tokens = tokenizeForNer(text);
    const count = tokens.length;
    const entries: WordEntry[] = new Array(count);
    const start = new Int32Array(count);
    const end = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const tok = tokens[i] as NerToken;
      entries[i] = this.entry(tok.text);
      start[i] = tok.start;
      end[i] = tok.end;
    }
    const inner = new Float64Array(Math.max(0, count - 2 * REACH) * K);
    // Inner tokens never look past the line's own tokens.
    for (let i = REACH; i < count - REACH; i++) this.emission(entries, i, inner, (i - REACH) * K);
    line = { start, end, entries, inner, left: { a: undefined, b: undefined, emit: new Float64Array(REACH * K) }, right: { a: undefined, b: undefined, emit: new Float64Array(REACH * K) } };
    if (text.length <= LINE_CHARS_MAX) this.keepLine(text, line);
    return line;
  }

  private keepLine(text: string, line: Line): void {
    if (this.lines.size >= LINES_MAX / 2) {
      this.oldLines = this.lines;
      this.lines = new Map();
    }
    this.lines.set(text, line);
  }

  /** Adds weight row `hash & mask` to out[at..at+K). */
  private addRow(out: Float64Array, at: number, hash: number): void {
    const { weights, mask, scale } = this.model;
    const row = (hash & mask) * K;
    for (let j = 0; j < K; j++) out[at + j] = (out[at + j] as number) + (weights[row + j] as number) * scale;
  }

  /** Every row of a conjunction of classes and flags, indexed by the parts' values (mixed radix). */
  private conjTable(salt: number, parts: Part[]): Float64Array {
    const size = parts.reduce((n, p) => n * (RADIX[p.kind] as number), 1);
    const table = new Float64Array(size * K);
    for (let idx = 0; idx < size; idx++) {
      const values: number[] = [];
      let rest = idx;
      for (let q = parts.length - 1; q >= 0; q--) {
        const r = RADIX[(parts[q] as Part).kind] as number;
        values[q] = rest % r;
        rest = Math.floor(rest / r);
      }
      let acc = salt;
      for (let q = 0; q < parts.length; q++) acc = combine(acc, (parts[q] as Part).kind === C ? (C_HASH[values[q] as number] as number) : (G_HASH[values[q] as number] as number));
      this.addRow(table, idx * K, fmix32(acc));
    }
    return table;
  }

  private entry(token: string): WordEntry {
    let e = this.words.get(token);
    if (e) return e;
    const hashes: Partial<Record<Kind, number>> = {};
    for (const [kind, s] of Object.entries(wordFeatures(token)) as [Kind, string][]) hashes[kind] = crc32(s);
    const sums = new Float64Array(OFFSETS.length * K);
    for (let slot = 0; slot < OFFSET_KINDS.length; slot++) {
      for (const kind of (OFFSET_KINDS[slot] as (typeof OFFSET_KINDS)[number])[1]) {
        const h = hashes[kind];
        if (h !== undefined) this.addRow(sums, slot * K, fmix32((h ^ (this.salts[slot] as number)) >>> 0));
      }
    }
    const lower = token.toLowerCase();
    const cls = capClass(token);
    e = { sums, w: hashes.w as number, lower, capitalised: cls === 'U', c: CAP_CLASSES.indexOf(cls), g: lexiconFlag(lower), conjKeys: [], conjRows: [] };
    if (this.words.size >= WORDS_MAX) this.words.clear();
    this.words.set(token, e);
    return e;
  }

  /**
   * The emission of the token at seq[mid] into out[at..at+K): its neighbours' per-offset sums,
   * then the conjunctions. Plain indexed loops, no closures (tsx wraps each one in a helper call).
   */
  private emission(seq: WordEntry[], mid: number, out: Float64Array, at: number): void {
    for (let slot = 0; slot < OFFSETS.length; slot++) {
      const sums = (seq[mid + (OFFSETS[slot] as number)] as WordEntry).sums;
      const from = slot * K;
      for (let j = 0; j < K; j++) out[at + j] = (out[at + j] as number) + (sums[from + j] as number);
    }
    const tables = this.tables;
    for (let ci = 0; ci < tables.length; ci++) {
      const c = tables[ci] as TableConj;
      const from = classIndex(seq, mid, c.parts) * K;
      const table = c.table;
      for (let j = 0; j < K; j++) out[at + j] = (out[at + j] as number) + (table[from + j] as number);
    }
    const wordConjs = this.wordConjs;
    for (let ci = 0; ci < wordConjs.length; ci++) {
      const c = wordConjs[ci] as WordConj;
      const owner = seq[mid + c.word.offset] as WordEntry;
      const key = classIndex(seq, mid, c.others);
      // A few rows per word and conjunction, by class value (a word meets few values).
      let keys = owner.conjKeys[c.index];
      let rows = owner.conjRows[c.index];
      if (keys === undefined || rows === undefined) {
        keys = new Int16Array(WORD_CONJ_SLOTS).fill(-1);
        rows = new Float64Array(WORD_CONJ_SLOTS * K);
        owner.conjKeys[c.index] = keys;
        owner.conjRows[c.index] = rows;
      }
      let slot = -1;
      for (let q = 0; q < WORD_CONJ_SLOTS; q++) {
        const kq = keys[q] as number;
        if (kq === key) {
          slot = q;
          break;
        }
        if (kq === -1) {
          keys[q] = key;
          this.addRow(rows, q * K, conjHash(seq, mid, c));
          slot = q;
          break;
        }
      }
      if (slot < 0) {
        this.addRow(out, at, conjHash(seq, mid, c));
        continue;
      }
      const from = slot * K;
      for (let j = 0; j < K; j++) out[at + j] = (out[at + j] as number) + (rows[from + j] as number);
    }
    for (let ci = 0; ci < this.hashConjs.length; ci++) this.addRow(out, at, conjHash(seq, mid, this.hashConjs[ci] as HashConj));
  }
}

/** Blanks that join a line break into one token (JavaScript's \s). */
function isBlank(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
