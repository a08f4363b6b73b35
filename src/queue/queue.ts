/**
 * pg-boss in the hub's own database. `send` validates the payload at the sender, so a bad job never
 * reaches the table; `work` parses again in the handler (jobs may outlive a deploy) and records
 * durations and failures for /metrics.
 */
import { sql } from 'drizzle-orm';
import { fromDrizzle, PgBoss, type Job } from 'pg-boss';
import type { Tx } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { jobDuration, jobFailures } from '../metrics.ts';
import { safeErrorMessage } from '../safe-error.ts';
import { JOB_NAMES, parseJobPayload, type JobName, type JobPayload } from './jobs.ts';

export interface JobContext {
  id: string;
  signal: AbortSignal;
  retryCount: number;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, job: JobContext) => Promise<void>;

export interface SendOptions {
  /** Send inside this transaction: a rollback drops the job too. */
  tx?: Tx;
  singletonKey?: string;
  /** With singletonKey: at most one job per key in each slot of this many seconds (throttling). */
  singletonSeconds?: number;
  startAfter?: Date | number;
  retryLimit?: number;
  priority?: number;
}

export interface Queue {
  boss: PgBoss;
  send<N extends JobName>(name: N, payload: JobPayload<N>, options?: SendOptions): Promise<string | null>;
  work<N extends JobName>(name: N, handler: JobHandler<N>, options?: { concurrency?: number }): Promise<void>;
  depth(): Promise<Array<{ name: JobName; queued: number; active: number; failed: number }>>;
  stop(options: { timeoutMs: number }): Promise<void>;
}

/** Per-queue defaults: retries with backoff; long jobs (training) get a long expiry. */
/** Long jobs send heartbeats: a worker killed mid-job is noticed within seconds and the job retried. */
export const QUEUE_OPTIONS: Partial<Record<JobName, { expireInSeconds?: number; retryLimit?: number; heartbeatSeconds?: number; retryDelay?: number; retryDelayMax?: number }>> = {
  'finetune.train': { expireInSeconds: 24 * 3600, retryLimit: 3, heartbeatSeconds: 10 },
  'harvest.run': { expireInSeconds: 6 * 3600, retryLimit: 5, heartbeatSeconds: 10 },
  'dataset.build': { expireInSeconds: 3600 },
  'model.evaluate': { expireInSeconds: 6 * 3600, retryLimit: 2, heartbeatSeconds: 10 },
  // A model server that is down (or a vendor still refusing after the shared retry) gets ~1 h of
  // backed-off retries (15 s, 30 s, … capped at 10 min) before the draft is given up.
  'draft.generate': { retryLimit: 10, retryDelay: 15, retryDelayMax: 600 },
  'triage.apply': { retryLimit: 10, retryDelay: 15, retryDelayMax: 600 },
};

export async function startQueue(options: { url: string; schema: string; log: Logger }): Promise<Queue> {
  const boss = new PgBoss({ connectionString: options.url, schema: options.schema, max: 4, superviseIntervalSeconds: 5, monitorIntervalSeconds: 5 });
  boss.on('error', (error) => options.log.error({ err: error }, 'queue error'));
  await boss.start();
  for (const name of JOB_NAMES) {
    const existing = await boss.getQueue(name);
    if (!existing) await boss.createQueue(name, { retryLimit: 3, retryDelay: 5, retryBackoff: true, ...QUEUE_OPTIONS[name] });
  }

  return {
    boss,
    async send(name, payload, sendOptions = {}) {
      const data = parseJobPayload(name, payload);
      const { tx, ...rest } = sendOptions;
      return boss.send(name, data, { ...rest, ...(tx ? { db: fromDrizzle(tx as Parameters<typeof fromDrizzle>[0], sql) } : {}) });
    },
    async work(name, handler, workOptions = {}) {
      const log = options.log.child({ queue: name });
      await boss.work(name, { localConcurrency: workOptions.concurrency ?? 1, pollingIntervalSeconds: 0.5 }, async ([job]: Job<unknown>[]) => {
        if (!job) return;
        const stopTimer = jobDuration.startTimer({ name });
        try {
          const payload = parseJobPayload(name, job.data);
          await handler(payload, { id: job.id, signal: job.signal, retryCount: job.retryCount });
        } catch (error) {
          jobFailures.inc({ name });
          log.warn({ err: error, jobId: job.id, retryCount: job.retryCount }, 'job failed');
          // pg-boss stores what it is given as the job's output: only a safe message (no query
          // parameters, no NUL that would make that write fail and leave the job stuck "active").
          const failure = new Error(safeErrorMessage(error));
          failure.name = error instanceof Error ? error.name : 'Error';
          throw failure;
        } finally {
          stopTimer();
        }
      });
    },
    async depth() {
      // Live counts from the job table: getQueues() serves the monitor's cached numbers.
      const { rows } = await boss.getDb().executeSql(
        `SELECT name, state, count(*)::int AS count FROM ${options.schema}.job WHERE state IN ('created', 'retry', 'active', 'failed') GROUP BY name, state`,
      );
      const counts = new Map<string, number>();
      for (const row of rows as Array<{ name: string; state: string; count: number }>) {
        const state = row.state === 'retry' ? 'created' : row.state;
        counts.set(`${row.name}/${state}`, (counts.get(`${row.name}/${state}`) ?? 0) + row.count);
      }
      return JOB_NAMES.map((name) => ({
        name,
        queued: counts.get(`${name}/created`) ?? 0,
        active: counts.get(`${name}/active`) ?? 0,
        failed: counts.get(`${name}/failed`) ?? 0,
      }));
    },
    async stop({ timeoutMs }) {
      await boss.stop({ graceful: true, timeout: timeoutMs, close: true });
    },
  };
}
