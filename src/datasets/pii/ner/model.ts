/**
 * The shipped person-name model (model/names.tlner), read once per process on first use. The
 * file is written by `python -m tuneloop_worker train-ner` (gpu-worker/tuneloop_worker/ner/export.py):
 *
 *   "TLNER v1\n" (8 bytes) | u32 LE header length | header JSON | zero padding to 8 bytes
 *   | int16 LE weights [buckets x labels] | float32 LE transitions [labels x labels], start, end
 *   | sha256 of everything before it (32 bytes)
 *
 * A missing, truncated or altered file, or one built for other features or other word lists,
 * throws NerModelError: scrubbing stops rather than falling back to the weaker word-list detector.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CONJUNCTIONS, FEATURE_VERSION, LABELS, OFFSET_KINDS } from './features.ts';

/** The shipped model. */
export const NER_MODEL_FILE = fileURLToPath(new URL('./model/names.tlner', import.meta.url));
/**
 * Set to a file to use another model (one you retrained) without replacing the shipped one. Read
 * once, on first use; a path that does not hold a valid model stops scrubbing like a broken
 * shipped file does.
 */
export const NER_MODEL_ENV = 'TUNELOOP_NER_MODEL';
const MAGIC = 'TLNER v1';
const LEXICON_DIR = new URL('../data/', import.meta.url);
// Same files, same order as LEXICON_FILES in gpu-worker/tuneloop_worker/ner/features.py.
const LEXICON_FILES = ['first-names.txt', 'census-first-names.txt', 'last-names.txt', 'census-last-names.txt', 'common-words-en.txt', 'common-words-de.txt', 'function-words.txt'];

const HeaderSchema = z.object({
  format: z.literal(1),
  name: z.string().min(1),
  feature_version: z.number().int(),
  labels: z.array(z.string()),
  buckets: z.number().int().positive(),
  scale: z.number().positive(),
  offset_kinds: z.array(z.tuple([z.number().int(), z.array(z.string())])),
  conjunctions: z.array(z.tuple([z.number().int(), z.array(z.tuple([z.number().int(), z.string()]))])),
  lexicon_sha256: z.string(),
});
export type NerModelHeader = z.infer<typeof HeaderSchema> & Record<string, unknown>;

export interface NerModel {
  file: string;
  /** `<name>@<first 12 hex digits of the file's sha256>`: recorded in dataset manifests. */
  version: string;
  header: NerModelHeader;
  mask: number;
  weights: Int16Array;
  scale: number;
  /** Transition scores from label i to j at [i * K + j]; forbidden BIO moves are -Infinity. */
  trans: Float64Array;
  start: Float64Array;
  end: Float64Array;
}

export class NerModelError extends Error {
  override readonly name = 'NerModelError';
}

function fix(file: string): string {
  const rel = relative(process.cwd(), file) || file;
  return (
    `It ships with tuneloop: restore it with \`git checkout -- ${rel}\`, or retrain it with ` +
    `\`python -m tuneloop_worker train-ner --out DIR\` (in gpu-worker/) and copy DIR/names.tlner to ${rel}.`
  );
}

export function lexiconSha256(): string {
  const digest = createHash('sha256');
  for (const name of LEXICON_FILES) {
    digest.update(`${name}\0`);
    digest.update(readFileSync(new URL(name, LEXICON_DIR)));
    digest.update('\0');
  }
  return digest.digest('hex');
}

export function loadNerModel(file: string = NER_MODEL_FILE): NerModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new NerModelError(`PII name model ${file} cannot be read (${code}). ${fix(file)}`, { cause: error });
  }
  const corrupt = (why: string) => new NerModelError(`PII name model ${file} is corrupt (${why}). ${fix(file)}`);
  if (bytes.length < 8 + 4 + 32 || bytes.toString('latin1', 0, 8) !== MAGIC) throw corrupt('not a tuneloop name model');
  const body = bytes.subarray(0, bytes.length - 32);
  const sum = createHash('sha256').update(body).digest();
  if (!sum.equals(bytes.subarray(bytes.length - 32))) throw corrupt('checksum mismatch: truncated or altered');
  const headerLength = bytes.readUInt32LE(8);
  let header: NerModelHeader;
  try {
    header = HeaderSchema.passthrough().parse(JSON.parse(bytes.toString('utf8', 12, 12 + headerLength))) as NerModelHeader;
  } catch (error) {
    throw new NerModelError(`PII name model ${file} has an unreadable header. ${fix(file)}`, { cause: error });
  }
  const k = LABELS.length;
  const spec = JSON.stringify([OFFSET_KINDS, CONJUNCTIONS, LABELS, FEATURE_VERSION]);
  if (JSON.stringify([header.offset_kinds, header.conjunctions, header.labels, header.feature_version]) !== spec) {
    throw new NerModelError(`PII name model ${file} was built for other features than this hub computes (src/datasets/pii/ner/features.ts). ${fix(file)}`);
  }
  if ((header.buckets & (header.buckets - 1)) !== 0) throw corrupt('bucket count is not a power of two');
  if (header.lexicon_sha256 !== lexiconSha256()) {
    throw new NerModelError(
      `PII name model ${file} was trained with other word lists than src/datasets/pii/data/ holds now; ` +
        `retrain it with \`python -m tuneloop_worker train-ner --out DIR\` (in gpu-worker/) and copy DIR/names.tlner to ${relative(process.cwd(), file) || file}.`,
    );
  }
  const weightsAt = Math.ceil((12 + headerLength) / 8) * 8;
  const floatsAt = weightsAt + header.buckets * k * 2;
  if (floatsAt + (k * k + 2 * k) * 4 !== body.length) throw corrupt('size does not match its header');
  // Copies: the Buffer may sit at an odd offset of a shared pool, and typed views need alignment.
  const weights = new Int16Array(header.buckets * k);
  for (let i = 0; i < weights.length; i++) weights[i] = body.readInt16LE(weightsAt + 2 * i);
  const floats = (at: number, n: number) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = body.readFloatLE(at + 4 * i);
      out[i] = v <= -1e4 ? Number.NEGATIVE_INFINITY : v;
    }
    return out;
  };
  const trans = floats(floatsAt, k * k);
  const start = floats(floatsAt + k * k * 4, k);
  const end = floats(floatsAt + (k * k + k) * 4, k);
  const version = `${header.name}@${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
  return { file, version, header, mask: header.buckets - 1, weights, scale: header.scale, trans, start, end };
}

let cached: NerModel | undefined;

/** The model in use (TUNELOOP_NER_MODEL, else the shipped one), loaded on first use and kept for the process. */
export function nerModel(): NerModel {
  cached ??= loadNerModel(process.env[NER_MODEL_ENV] || NER_MODEL_FILE);
  return cached;
}

/** Name and content hash of the model in use, for dataset manifests. */
export function nerModelVersion(): string {
  return nerModel().version;
}
