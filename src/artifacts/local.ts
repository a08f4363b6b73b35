/**
 * Artifact store in a local directory (TUNELOOP_HOME/artifacts). Writes go to a temporary file in
 * the same directory and are renamed into place after an fsync, so a reader (or a crash) sees the
 * whole old file or the whole new one, never half of it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { validateKey, validatePrefix, type ArtifactBody, type ArtifactStore, type ArtifactWriter, type StoredArtifact } from './store.ts';

/** Temporary files end in ".tmp"; keys may not, so a listing never shows one. */
const TMP_SUFFIX = '.tmp';

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}

export class LocalArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  private path(key: string): string {
    return join(this.root, ...validateKey(key).split('/'));
  }

  async openWriter(key: string): Promise<ArtifactWriter> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`;
    const handle: FileHandle = await open(temp, 'wx');
    const hash = createHash('sha256');
    let bytes = 0;
    let done = false;
    const abort = async () => {
      if (done) return;
      done = true;
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
    };
    return {
      async write(chunk) {
        if (done) throw new Error(`artifact ${key}: write after commit or abort`);
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        hash.update(buffer);
        bytes += buffer.byteLength;
        let offset = 0;
        while (offset < buffer.byteLength) {
          const { bytesWritten } = await handle.write(buffer, offset, buffer.byteLength - offset);
          offset += bytesWritten;
        }
      },
      async commit() {
        if (done) throw new Error(`artifact ${key}: commit after commit or abort`);
        try {
          await handle.sync();
          await handle.close();
          await rename(temp, target);
        } catch (error) {
          await abort();
          throw error;
        }
        done = true;
        return { key, bytes, sha256: hash.digest('hex') };
      },
      abort,
    };
  }

  async put(key: string, body: ArtifactBody): Promise<StoredArtifact> {
    const writer = await this.openWriter(key);
    try {
      if (typeof body === 'string' || body instanceof Uint8Array) await writer.write(body);
      else for await (const chunk of body as AsyncIterable<string | Uint8Array>) await writer.write(chunk);
      return await writer.commit();
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  async get(key: string): Promise<Readable | null> {
    const path = this.path(key);
    try {
      const info = await stat(path);
      if (!info.isFile()) return null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    return createReadStream(path);
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<boolean> {
    const existed = await this.exists(key);
    await rm(this.path(key), { force: true });
    return existed;
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    const start = prefix === '' ? this.root : join(this.root, ...prefix.slice(0, -1).split('/'));
    let entries: string[];
    try {
      entries = await readdir(start, { recursive: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const keys: string[] = [];
    for (const entry of entries) {
      if (entry.endsWith(TMP_SUFFIX)) continue;
      const full = join(start, entry);
      if (!(await stat(full)).isFile()) continue;
      keys.push(relative(this.root, full).split(sep).join('/'));
    }
    return keys.sort();
  }
}
