/**
 * Step 4: exact and near-duplicate removal in one pass, linear in the number of examples.
 * Examples arrive newest first (build reads conversations by last update, descending), so the
 * first of a group of duplicates is the newest and the one kept. Exact: a hash of the normalised
 * text. Near: MinHash LSH (minhash.ts); a candidate counts only when its estimated similarity
 * reaches the threshold. Memory: one hash per kept example, plus its signature and band keys.
 */
import { createHash } from 'node:crypto';
import { normaliseText } from './filter.ts';
import { bandsFor, fmix32, MinHasher, shingles, similarity } from './minhash.ts';

/** Candidates compared per example at most: keeps a pathological bucket from making the pass quadratic. */
const MAX_CANDIDATES = 64;

export type DuplicateKind = 'exact' | 'near';

export class Deduplicator {
  private readonly exact = new Set<string>();
  private readonly hasher: MinHasher | null;
  private readonly bands: number;
  private readonly rows: number;
  private readonly buckets: Array<Map<number, number | number[]>> = [];
  private signatures: Uint32Array<ArrayBuffer> = new Uint32Array(0);
  private kept = 0;
  private readonly scratch: Uint32Array<ArrayBuffer>;

  constructor(private readonly options: { threshold: number; permutations: number }) {
    const near = options.threshold < 1;
    this.hasher = near ? new MinHasher(options.permutations) : null;
    ({ bands: this.bands, rows: this.rows } = bandsFor(options.threshold, options.permutations));
    for (let b = 0; b < this.bands; b++) this.buckets.push(new Map());
    this.scratch = new Uint32Array(options.permutations);
  }

  get lsh(): { bands: number; rows: number } {
    return { bands: this.bands, rows: this.rows };
  }

  /** 'exact' or 'near' for a duplicate of an example seen before; null (and remembered) otherwise. */
  check(text: string): DuplicateKind | null {
    const normalised = normaliseText(text);
    const key = createHash('sha1').update(normalised).digest('base64');
    if (this.exact.has(key)) return 'exact';
    if (this.hasher) {
      const signature = this.hasher.signature(shingles(normalised), this.scratch);
      const bandKeys = this.bandKeys(signature);
      const { permutations } = this.options;
      const checked = new Set<number>();
      for (let b = 0; b < this.bands; b++) {
        const hit = this.buckets[b]?.get(bandKeys[b] as number);
        if (hit === undefined) continue;
        for (const id of typeof hit === 'number' ? [hit] : hit) {
          if (checked.has(id) || checked.size >= MAX_CANDIDATES) continue;
          checked.add(id);
          if (similarity(signature, this.signatures, id * permutations) >= this.options.threshold) return 'near';
        }
      }
      this.remember(signature, bandKeys);
    }
    this.exact.add(key);
    return null;
  }

  private bandKeys(signature: Uint32Array): Uint32Array {
    const keys = new Uint32Array(this.bands);
    for (let b = 0; b < this.bands; b++) {
      let h = b;
      for (let r = 0; r < this.rows; r++) h = fmix32((Math.imul(h, 0x01000193) ^ (signature[b * this.rows + r] as number)) >>> 0);
      keys[b] = h;
    }
    return keys;
  }

  private remember(signature: Uint32Array, bandKeys: Uint32Array): void {
    const { permutations } = this.options;
    const id = this.kept++;
    if ((id + 1) * permutations > this.signatures.length) {
      const grown = new Uint32Array(Math.max(1024, this.signatures.length * 2) + permutations);
      grown.set(this.signatures);
      this.signatures = grown;
    }
    this.signatures.set(signature, id * permutations);
    for (let b = 0; b < this.bands; b++) {
      const bucket = this.buckets[b] as Map<number, number | number[]>;
      const key = bandKeys[b] as number;
      const existing = bucket.get(key);
      if (existing === undefined) bucket.set(key, id);
      else if (typeof existing === 'number') bucket.set(key, [existing, id]);
      else existing.push(id);
    }
  }
}
