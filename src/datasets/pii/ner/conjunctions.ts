/**
 * What the tagger keeps per word and how it reads a feature conjunction at a position: the
 * capitalisation classes and word-list flags a conjunction can combine, a word's cached entry, and
 * the index and row hash of a conjunction over a token sequence (as featureRows in features.ts).
 */
import { combine, crc32, fmix32, type Kind } from './features.ts';

// Every value capClass() can return, and the 16 word-list flag combinations.
export const CAP_CLASSES = ['A', 'U', 'l', 'd', 'a', 'n', 'p'];
export const CLASS_COUNT = CAP_CLASSES.length;
export const C_HASH = CAP_CLASSES.map((c) => crc32(`c:${c}`));
export const G_HASH = Array.from({ length: 16 }, (_, g) => crc32(`g:${g}`));
export const RADIX = [0, CAP_CLASSES.length, 16];

/** What the tagger keeps per distinct token string. */
export interface WordEntry {
  /** Own features' rows summed per offset: [slot * K + label]. */
  sums: Float64Array;
  /** crc32 of the "w:" feature string. */
  w: number;
  /** The token lower-cased, and whether it is capitalised and not all capitals (for detect-ner.ts). */
  lower: string;
  capitalised: boolean;
  /** Index into CAP_CLASSES, and the word-list flags (0..15). */
  c: number;
  g: number;
  /** Per conjunction with this word in it: the class values met so far and their rows. */
  conjKeys: (Int16Array | undefined)[];
  conjRows: (Float64Array | undefined)[];
}

/** A conjunction's part: an offset and what is read there (W the word, C its class, G its flags). */
export type Part = { offset: number; kind: number };
export const W = 0;
export const C = 1;
export const G = 2;
export const KIND_OF: Partial<Record<Kind, number>> = { w: W, c: C, g: G };
/** A conjunction of classes and flags only: every row read ahead. */
export type TableConj = { parts: Part[]; table: Float64Array };
/** A conjunction of one word with classes or flags: rows cached on the word. */
export type WordConj = { index: number; word: Part; others: Part[]; salt: number; parts: Part[] };
/** Anything else: hashed per token. */
export type HashConj = { parts: Part[]; salt: number };

/** The mixed-radix index of the class and flag parts of a conjunction at seq[mid]. */
export function classIndex(seq: WordEntry[], mid: number, parts: Part[]): number {
  let idx = 0;
  for (let q = 0; q < parts.length; q++) {
    const p = parts[q] as Part;
    const e = seq[mid + p.offset] as WordEntry;
    idx = p.kind === C ? idx * CLASS_COUNT + e.c : idx * 16 + e.g;
  }
  return idx;
}

/** The row hash of a conjunction at seq[mid], as featureRows computes it. */
export function conjHash(seq: WordEntry[], mid: number, c: { salt: number; parts: Part[] }): number {
  let acc = c.salt;
  for (let q = 0; q < c.parts.length; q++) {
    const p = c.parts[q] as Part;
    const e = seq[mid + p.offset] as WordEntry;
    acc = combine(acc, p.kind === W ? e.w : p.kind === C ? (C_HASH[e.c] as number) : (G_HASH[e.g] as number));
  }
  return fmix32(acc);
}
