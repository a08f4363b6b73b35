/**
 * Opens the hub's database: DATABASE_URL when configured, else the embedded PostgreSQL under
 * TUNELOOP_HOME. Migrations are applied before anything else uses it.
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { redactUrl } from '../log.ts';
import { connectDatabase, type Database } from './client.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { applyMigrations } from './migrate.ts';

export interface OpenedDatabase extends Database {
  /** Stops the embedded server too, when there is one. */
  shutdown(): Promise<void>;
}

export async function openDatabase(config: Config, log: Logger, options: { migrate?: boolean } = {}): Promise<OpenedDatabase> {
  let url = config.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    const dataDir = join(config.TUNELOOP_HOME, 'pg');
    const embedded = await startEmbeddedPostgres({ dataDir });
    log.info({ dataDir, port: embedded.port, adopted: embedded.adopted }, embedded.adopted ? 'adopted the running embedded PostgreSQL' : 'embedded PostgreSQL started');
    url = embedded.url;
    // Other local processes (a running hub, a worker) may share this server: it stops with the last one.
    stopEmbedded = async () => {
      if (await embedded.stop({ ifUnused: true })) log.info('embedded PostgreSQL stopped');
      else log.info('embedded PostgreSQL left running for the other tuneloop processes using it');
    };
  } else {
    log.info({ database: redactUrl(url) }, 'using DATABASE_URL');
  }
  const database = connectDatabase(url);
  try {
    if (options.migrate !== false) await applyMigrations(database);
  } catch (error) {
    await database.close();
    await stopEmbedded?.();
    throw error;
  }
  return {
    ...database,
    async shutdown() {
      await database.close();
      await stopEmbedded?.();
    },
  };
}
