/**
 * Reading a version's files back out: a split as a stream (the API's download) or into a local
 * file (`tuneloop dataset export`). Only ready versions have files; an erased one points to its
 * successor.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactStore } from '../artifacts/index.ts';
import type { Manifest } from './manifest.ts';
import type { Split } from './types.ts';
import type { VersionRow } from './versions.ts';

export class ExportError extends Error {
  override name = 'ExportError';
  constructor(
    readonly reason: 'not_ready' | 'erased' | 'missing',
    message: string,
  ) {
    super(message);
  }
}

export function splitFileOf(version: VersionRow, split: Split): Manifest['splits'][Split] {
  if (version.status === 'erased') {
    throw new ExportError('erased', `version ${version.version} was replaced after a GDPR erasure${version.supersededBy ? ` by version id ${version.supersededBy}` : ''}; its files are deleted`);
  }
  if (version.status !== 'ready') throw new ExportError('not_ready', `version ${version.version} is ${version.status}, not ready`);
  const file = (version.manifest as unknown as Manifest | null)?.splits?.[split];
  if (!file) throw new ExportError('missing', `version ${version.version} has no ${split} split`);
  return file;
}

export async function openSplit(store: ArtifactStore, version: VersionRow, split: Split): Promise<{ stream: Readable; file: Manifest['splits'][Split] }> {
  const file = splitFileOf(version, split);
  const stream = await store.get(file.key);
  if (!stream) throw new ExportError('missing', `the ${split} file of version ${version.version} is missing from the artifact store`);
  return { stream, file };
}

/** Writes the split to `path` (through a temporary file, so a failed export leaves nothing half-written). */
export async function exportSplitToFile(store: ArtifactStore, version: VersionRow, split: Split, path: string): Promise<Manifest['splits'][Split]> {
  const { stream, file } = await openSplit(store, version, split);
  const temp = `${path}.partial`;
  try {
    await pipeline(stream, createWriteStream(temp));
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return file;
}
