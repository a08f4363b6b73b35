/**
 * What most of the hub shares: the database, the queue, the settings, the logger, the key that
 * opens stored credentials, and the artifact store. Web routes and job handlers take these from
 * here; main.ts builds them once per process (tests build their own). A leaf: it imports only the
 * types of the modules that provide them, so nothing that depends on it can form a cycle through it.
 */
import type { ArtifactStore } from './artifacts/store.ts';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { Logger } from './log.ts';
import type { Queue } from './queue/queue.ts';
import type { Keyring } from './security/encryption.ts';

/** A process that runs job handlers: the queue is there. */
export interface HubDeps {
  database: Database;
  queue: Queue;
  log: Logger;
  config: Config;
  keyring: Keyring;
  artifacts: ArtifactStore;
}

/** The HTTP app: it can answer (health, reads) while the queue is not started. */
export type AppDeps = Omit<HubDeps, 'queue'> & { queue: Queue | null };
