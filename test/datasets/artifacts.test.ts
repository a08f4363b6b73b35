import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArtifactKeyError, LocalArtifactStore, openArtifactStore } from '../../src/artifacts/index.ts';

describe('local artifact store', () => {
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-artifacts-'));
  const store = openArtifactStore({ TUNELOOP_HOME: home });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('puts buffers, strings and streams, and reads them back with size and sha256', async () => {
    const stored = await store.put('a/b/one.jsonl', 'hello\n');
    expect(stored).toEqual({ key: 'a/b/one.jsonl', bytes: 6, sha256: createHash('sha256').update('hello\n').digest('hex') });
    await store.put('a/two.bin', Buffer.from([1, 2, 3]));
    await store.put('a/b/three.jsonl', Readable.from(['x\n', 'y\n']));
    expect(await text((await store.get('a/b/three.jsonl'))!)).toBe('x\ny\n');
    expect(await store.exists('a/two.bin')).toBe(true);
    expect(await store.get('a/missing')).toBeNull();
    expect(await store.list('a/')).toEqual(['a/b/one.jsonl', 'a/b/three.jsonl', 'a/two.bin']);
    expect(await store.list('a/b/')).toEqual(['a/b/one.jsonl', 'a/b/three.jsonl']);
    expect(await store.list('nothing/')).toEqual([]);
    expect(await store.delete('a/two.bin')).toBe(true);
    expect(await store.delete('a/two.bin')).toBe(false);
    expect(await store.exists('a/two.bin')).toBe(false);
  });

  it('shows nothing until commit, and an aborted or failed write leaves no file behind', async () => {
    const writer = await store.openWriter('w/file.jsonl');
    await writer.write('partial');
    expect(await store.exists('w/file.jsonl')).toBe(false);
    expect(await store.list('w/')).toEqual([]);
    await writer.abort();
    expect(readdirSync(join(home, 'artifacts', 'w'))).toEqual([]);

    await store.put('w/file.jsonl', 'old');
    async function* failing() {
      yield 'new content';
      throw new Error('source failed');
    }
    await expect(store.put('w/file.jsonl', failing())).rejects.toThrow('source failed');
    expect(await text((await store.get('w/file.jsonl'))!)).toBe('old');
    expect(readdirSync(join(home, 'artifacts', 'w'))).toEqual(['file.jsonl']);
  });

  it('rejects keys that could leave the root', async () => {
    const bad = ['../x', 'a/../../x', '/etc/passwd', 'a//b', '', 'a/./b', 'a\\b', '.hidden', 'x.tmp', 'a/'];
    for (const key of bad) await expect(store.put(key, 'x'), key).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    await expect(store.list('../')).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    await expect(store.get('../../etc/passwd')).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    expect(new LocalArtifactStore(join(home, 'other')).root).toBe(join(home, 'other'));
  });
});
