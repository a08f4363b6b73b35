/**
 * MinHash signatures and LSH banding (Broder 1997; Leskovec, Rajaraman & Ullman, Mining of Massive
 * Datasets, ch. 3). A signature is the minimum of `k` hash functions over a text's word 3-grams;
 * the share of equal positions in two signatures estimates their Jaccard similarity. Bands of `r`
 * rows give candidate pairs with probability 1 - (1 - s^r)^b, so only candidates are compared.
 */

/** murmur3's 32-bit finaliser: a cheap, well-mixed hash of a 32-bit integer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over a string's UTF-16 code units. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Hashes of the word 3-grams of a normalised text (one "gram" for texts under three words). */
export function shingles(normalised: string): Uint32Array {
  const words = normalised.split(' ').filter(Boolean);
  if (words.length < 3) return Uint32Array.of(fnv1a(words.join(' ')));
  const out = new Uint32Array(words.length - 2);
  const wordHashes = words.map((w) => fnv1a(w));
  for (let i = 0; i + 2 < words.length; i++) {
    out[i] = fmix32((Math.imul(wordHashes[i] as number, 0x9e3779b1) ^ Math.imul(wordHashes[i + 1] as number, 0x85ebca77) ^ (wordHashes[i + 2] as number)) >>> 0);
  }
  return out;
}

export class MinHasher {
  private readonly seeds: Uint32Array;

  constructor(readonly permutations: number) {
    this.seeds = new Uint32Array(permutations);
    // Fixed seeds: the same text always has the same signature, in every build.
    let state = 0x2545f491;
    for (let i = 0; i < permutations; i++) this.seeds[i] = state = fmix32(state + 0x9e3779b9);
  }

  signature(grams: Uint32Array, out: Uint32Array<ArrayBuffer> = new Uint32Array(this.permutations)): Uint32Array<ArrayBuffer> {
    out.fill(0xffffffff);
    const { seeds, permutations } = this;
    for (let g = 0; g < grams.length; g++) {
      const x = grams[g] as number;
      for (let i = 0; i < permutations; i++) {
        const h = fmix32(x ^ (seeds[i] as number));
        if (h < (out[i] as number)) out[i] = h;
      }
    }
    return out;
  }
}

/** Share of equal positions: the estimated Jaccard similarity. */
export function similarity(a: Uint32Array, b: Uint32Array, bOffset = 0): number {
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[bOffset + i]) equal++;
  return equal / a.length;
}

/**
 * Bands × rows for a threshold: the split whose S-curve midpoint (1/b)^(1/r) is closest to it,
 * favouring more bands (fewer missed near-duplicates; candidates are checked anyway).
 */
export function bandsFor(threshold: number, permutations: number): { bands: number; rows: number } {
  let best = { bands: permutations, rows: 1, error: Infinity };
  for (let rows = 1; rows <= permutations; rows++) {
    const bands = Math.floor(permutations / rows);
    const error = Math.abs((1 / bands) ** (1 / rows) - threshold);
    if (error < best.error - 1e-9) best = { bands, rows, error };
  }
  return { bands: best.bands, rows: best.rows };
}
