/**
 * What the compliance classifier sees of a text: lower-cased word unigrams and bigrams, with the
 * scrubber's placeholders ([PHONE_2], [NAME_1]) as one token per kind and digit runs by length, each
 * hashed (FNV-1a, 32 bits) into one of 2^bits buckets. A bucket counts once per text; the vector is
 * scaled to length 1, so long and short messages weigh alike.
 */

/** Changing how features are computed changes this: a model of another version is refused. */
export const FEATURE_VERSION = 1;

const PLACEHOLDER = /\[([A-Z]+)_\d+\]/g;
const TOKEN = /[\p{L}\p{N}_]+/gu;

export function tokens(text: string): string[] {
  const marked = text.replace(PLACEHOLDER, (_match, kind: string) => ` pii_${kind.toLowerCase()} `);
  return (marked.toLowerCase().match(TOKEN) ?? []).map((token) => (/^\d+$/.test(token) ? `d${Math.min(token.length, 9)}` : token));
}

/** FNV-1a over the UTF-16 code units: stable, and the same in every process. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A sparse feature vector: bucket indexes, ascending, and their values. */
export interface Features {
  index: Uint32Array;
  value: Float64Array;
}

export function features(text: string, bits: number): Features {
  const mask = 2 ** bits - 1;
  const words = tokens(text);
  const buckets = new Set<number>();
  for (let i = 0; i < words.length; i++) {
    buckets.add(fnv1a(`u:${words[i]}`) & mask);
    if (i + 1 < words.length) buckets.add(fnv1a(`b:${words[i]} ${words[i + 1]}`) & mask);
  }
  const index = Uint32Array.from([...buckets].sort((a, b) => a - b));
  const weight = index.length ? 1 / Math.sqrt(index.length) : 0;
  return { index, value: new Float64Array(index.length).fill(weight) };
}
