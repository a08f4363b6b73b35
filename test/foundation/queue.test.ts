import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { JOB_NAMES, JobPayloadError } from '../../src/queue/jobs.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { auditEvents } from '../../src/db/schema/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';

describe('job queue (pg-boss)', () => {
  let database: TestDatabase;
  let queue: Queue;

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 2_000 });
    await database.drop();
  });

  const jobCount = async () => {
    const result = await database.db.execute<{ count: string }>(sql`SELECT count(*)::text AS count FROM pgboss.job`);
    return Number(result.rows[0]?.count);
  };

  it('rejects a bad payload at the sender with a clear message, storing nothing', async () => {
    const before = await jobCount();
    await expect(queue.send('harvest.run', { harvestId: 'not-a-uuid' })).rejects.toThrow(JobPayloadError);
    // @ts-expect-error: unknown fields of the wrong type
    await expect(queue.send('slack.notify', { kind: 'party', subjectId: 'x' })).rejects.toThrow(/invalid slack.notify payload: kind: /);
    expect(await jobCount()).toBe(before);
  });

  it('sends a job and handles it through pg-boss', async () => {
    const handled = new Promise<string>((resolve) => {
      void queue.work('harvest.run', async (payload) => resolve('harvestId' in payload ? payload.harvestId : ''));
    });
    const harvestId = crypto.randomUUID();
    const id = await queue.send('harvest.run', { harvestId });
    expect(id).toBeTruthy();
    expect(await handled).toBe(harvestId);
  });

  it('drops a job sent inside a transaction that rolls back', async () => {
    const before = await jobCount();
    await expect(
      database.db.transaction(async (tx) => {
        await tx.insert(auditEvents).values({ actor: 'test', action: 'x', subjectType: 't', subjectId: '1' });
        await queue.send('dataset.build', { datasetVersionId: crypto.randomUUID() }, { tx });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await jobCount()).toBe(before);
  });

  it('fails a job whose error holds query parameters and a NUL: retried, with neither in its output or the log', async () => {
    const { log, lines } = captureLogger();
    const own = await startQueue({ url: database.url, schema: 'pgboss', log });
    try {
      await own.work('dataset.build', async () => {
        await database.db.execute(sql`SELECT ${'Ann Customer, IBAN DE89 3704 0044 0532 0130 00\u0000'}::int`);
      });
      const id = await own.send('dataset.build', { datasetVersionId: crypto.randomUUID() });
      let job: { state: string; output: unknown } | undefined;
      for (let i = 0; i < 100 && job?.state !== 'retry'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        job = (await database.db.execute<{ state: string; output: unknown }>(sql`SELECT state, output FROM pgboss.job WHERE id = ${id}`)).rows[0];
      }
      expect(job?.state).toBe('retry'); // not stuck in "active" until it expires
      expect(JSON.stringify(job?.output)).toMatch(/query failed \(SELECT \$1::int…\): invalid byte sequence/);
      const logged = JSON.stringify(lines());
      expect(logged).toContain('job failed');
      expect(`${logged}${JSON.stringify(job?.output)}`).not.toMatch(/Ann Customer|DE89/);
    } finally {
      await own.stop({ timeoutMs: 1_000 });
    }
  });

  it('reports queue depth per job name', async () => {
    await queue.send('model.evaluate', { modelId: crypto.randomUUID() });
    const depth = await queue.depth();
    expect(depth.find((q) => q.name === 'model.evaluate')?.queued).toBeGreaterThanOrEqual(1);
    // Every job name, however many domains add: a queue nobody reports on would hide a backlog.
    expect(depth.map((q) => q.name).sort()).toEqual([...JOB_NAMES].sort());
    expect(depth.length).toBeGreaterThanOrEqual(8);
  });
});
