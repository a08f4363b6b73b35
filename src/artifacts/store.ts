/**
 * Where tuneloop keeps files that are too big for Postgres: dataset splits (JSONL), later model
 * adapters and evaluation reports. Keys are relative, slash-separated paths ("datasets/<id>/<v>/train.jsonl").
 * Only the local directory implementation exists today; an object store would implement the same
 * interface (a writer is a multipart upload there).
 */
import type { Readable } from 'node:stream';

export interface StoredArtifact {
  key: string;
  bytes: number;
  /** Hex SHA-256 of the content, computed while writing. */
  sha256: string;
}

/** A file being written: nothing is visible under its key until `commit()`. */
export interface ArtifactWriter {
  write(chunk: string | Uint8Array): Promise<void>;
  commit(): Promise<StoredArtifact>;
  /** Drops what was written; safe to call after a failed write or twice. */
  abort(): Promise<void>;
}

export type ArtifactBody = string | Uint8Array | Readable | AsyncIterable<string | Uint8Array>;

export interface ArtifactStore {
  put(key: string, body: ArtifactBody): Promise<StoredArtifact>;
  openWriter(key: string): Promise<ArtifactWriter>;
  /** The content as a stream, or null when there is no such key. */
  get(key: string): Promise<Readable | null>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  /** Every key under `prefix` (a folder-like prefix ending in "/", or "" for all), sorted. */
  list(prefix: string): Promise<string[]>;
  exists(key: string): Promise<boolean>;
}

export class InvalidArtifactKeyError extends Error {
  override name = 'InvalidArtifactKeyError';
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._@=+-]{0,199}$/;

/**
 * Keys are relative paths of plain segments: no "..", no ".", no absolute paths, no backslashes or
 * empty segments, so a key can never escape the store's root whatever the backend.
 */
export function validateKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1000) throw new InvalidArtifactKeyError('artifact key must be 1-1000 characters');
  const segments = key.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === '..' || segment.endsWith('.tmp')) {
      throw new InvalidArtifactKeyError(`invalid artifact key segment ${JSON.stringify(segment)} (letters, digits, . _ @ = + -; no "..", no absolute paths)`);
    }
  }
  return key;
}

/** A listing prefix: "" or a valid key followed by "/". */
export function validatePrefix(prefix: string): string {
  if (prefix === '') return prefix;
  if (!prefix.endsWith('/')) throw new InvalidArtifactKeyError('artifact prefix must end with "/"');
  validateKey(prefix.slice(0, -1));
  return prefix;
}
