/**
 * A vendor sandbox harvested into a test database with the hub's reaction to stored batches
 * (documents extracted and scanned through the queue): the set-up the attachment tests share.
 * Registers its own beforeAll/afterAll; read the handle's fields inside tests only.
 */
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { executeRun } from '../../src/harvest/execute.ts';
import { createRun } from '../../src/harvest/runs.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { reactToHarvest } from '../../src/serving/on-harvest.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { addConnection, testKeyring } from './harvest.ts';
import { captureLogger } from './logger.ts';

type ConnectionInput = Parameters<typeof addConnection>[1];

export function useScannedHarvest(sandbox: { listen(): Promise<{ url: string; close(): Promise<void> }> }, connection: (url: string) => ConnectionInput) {
  let server: { url: string; close(): Promise<void> } | undefined;
  const handle = {
    database: undefined as unknown as TestDatabase,
    queue: undefined as unknown as Queue,
    connectionId: '',
    config: () => loadConfig({ DATABASE_URL: handle.database.url }),
    /** One manual harvest run, as the job would run it on its last attempt. */
    harvest: async () => {
      const { run } = await createRun(handle.database.db, handle.connectionId, 'manual', null);
      return executeRun({ database: handle.database, keyring: testKeyring(), log: captureLogger().log, batchSize: 50, onStored: reactToHarvest(handle.queue, handle.config()) }, run.id, { lastAttempt: true });
    },
  };
  beforeAll(async () => {
    handle.database = await createTestDatabase();
    handle.queue = await startQueue({ url: handle.database.url, schema: 'pgboss', log: captureLogger().log });
    server = await sandbox.listen();
    handle.connectionId = (await addConnection(handle.database, connection(server.url))).id;
  });
  afterAll(async () => {
    await handle.queue?.stop({ timeoutMs: 2_000 });
    await server?.close();
    await handle.database?.drop();
  });
  return handle;
}
