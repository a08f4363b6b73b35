/** The hub's dependencies for in-process tests: a real database and queue, a fresh key, a capturing logger. */
import { randomBytes } from 'node:crypto';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import type { AppDeps } from '../../src/deps.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/client.ts';
import type { Queue } from '../../src/queue/queue.ts';
import { createKeyring } from '../../src/security/encryption.ts';
import { captureLogger } from './logger.ts';

export function testDeps(database: Database, queue: Queue | null, env: Record<string, string> = {}): AppDeps {
  const config = loadConfig({ DATABASE_URL: database.url, ...env });
  return { database, queue, log: captureLogger().log, config, keyring: createKeyring(randomBytes(32)), artifacts: openArtifactStore(config) };
}
