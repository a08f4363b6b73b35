/** The artifact store the hub uses: a local directory under TUNELOOP_HOME. */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { LocalArtifactStore } from './local.ts';
import type { ArtifactStore } from './store.ts';

export { LocalArtifactStore } from './local.ts';
export { InvalidArtifactKeyError, validateKey, type ArtifactBody, type ArtifactStore, type ArtifactWriter, type StoredArtifact } from './store.ts';

export function openArtifactStore(config: Pick<Config, 'TUNELOOP_HOME'>): ArtifactStore {
  return new LocalArtifactStore(join(config.TUNELOOP_HOME, 'artifacts'));
}
