/**
 * pg-boss in the hub's own database. `send` validates the payload at the sender, so a bad job never
 * reaches the table; `work` parses again in the handler (jobs may outlive a deploy) and records
 * durations and failures for /metrics.
 */
import { sql, type SQL } from 'drizzle-orm';
import { fromDrizzle, PgBoss, type Job } from 'pg-boss';
import type { Tx } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { jobDuration, jobFailures } from '../metrics.ts';
import { safeErrorMessage } from '../safe-error.ts';
import { JOB_NAMES, parseJobPayload, type JobName, type JobPayload } from './jobs.ts';
import { policyKey, policyOf } from './policies.ts';

export interface JobContext {
  id: string;
  signal: AbortSignal;
  retryCount: number;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, job: JobContext) => Promise<void>;

export interface SendOptions {
  /** Send inside this transaction: a rollback drops the job too. */
  tx?: Tx;
  /** Only for throttling with singletonSeconds; queues that refuse duplicates key their jobs themselves (policies.ts). */
  singletonKey?: string;
  /** With singletonKey: at most one job per key in each slot of this many seconds (throttling). */
  singletonSeconds?: number;
  startAfter?: Date | number;
  retryLimit?: number;
  priority?: number;
}

/** One job of a `sendMany` batch. */
export interface BatchJob<N extends JobName> {
  payload: JobPayload<N>;
}

/** Retry settings of a queue that come from configuration rather than QUEUE_OPTIONS. */
export interface RetrySettings {
  retryLimit: number;
  retryDelay: number;
  retryBackoff: boolean;
  retryDelayMax: number;
}

/**
 * Everything the hub asks of pg-boss. No module outside src/queue/ touches pg-boss itself, so its
 * API (and the place its tables live) can change here alone.
 */
export interface Queue {
  send<N extends JobName>(name: N, payload: JobPayload<N>, options?: SendOptions): Promise<string | null>;
  /** Many jobs of one queue in ONE statement, inside `tx`: a rollback drops them all. */
  sendMany<N extends JobName>(name: N, jobs: readonly BatchJob<N>[], options: { tx: Tx }): Promise<void>;
  /** Throws a readable Error when `cron` is not a cron expression pg-boss accepts. */
  checkCron(cron: string): void;
  /** A cron schedule of `name` under `key`; one firing per tick however many hubs run. */
  schedule<N extends JobName>(name: N, cron: string, payload: JobPayload<N>, key: string): Promise<void>;
  unschedule(name: JobName, key: string): Promise<void>;
  /** The keys of `name`'s schedules. */
  scheduleKeys(name: JobName): Promise<string[]>;
  configureRetries(name: JobName, settings: RetrySettings): Promise<void>;
  work<N extends JobName>(name: N, handler: JobHandler<N>, options?: { concurrency?: number }): Promise<void>;
  /** Stops this process's handler of `name` (jobs stay queued for other workers). */
  stopWorking(name: JobName): Promise<void>;
  cancel(name: JobName, ids: readonly string[]): Promise<void>;
  /** A job: its state, payload and output (its error when it failed), or null. */
  job(name: JobName, id: string): Promise<{ id: string; state: string; data: unknown; output: unknown } | null>;
  /**
   * Runs the jobs of `name` queued right now in this process, one at a time, as a worker would:
   * completed on success, failed (so retried) on a throw. For one-shot commands and tests.
   */
  drain<N extends JobName>(name: N, handler: JobHandler<N>): Promise<{ completed: number; failed: string[] }>;
  /**
   * An SQL condition for a query of the hub's own tables: true while a job of `name` is queued,
   * retrying or running whose singleton key, or whose payload fields, equal the given values.
   */
  openJobExists(name: JobName, match: { singletonKey?: SQL | string; data?: Record<string, SQL | string> }): SQL<boolean>;
  /** True when pg-boss's tables answer. */
  ping(): Promise<boolean>;
  /** Jobs per queue by state; `oldestQueuedSeconds`: age of the oldest job due to run and not yet started (0 when none). */
  depth(): Promise<Array<{ name: JobName; queued: number; active: number; failed: number; oldestQueuedSeconds: number }>>;
  stop(options: { timeoutMs: number }): Promise<void>;
}

/** Per-queue defaults: retries with backoff; long jobs (training) get a long expiry. */
/** Long jobs send heartbeats: a worker killed mid-job is noticed within seconds and the job retried. */
export const QUEUE_OPTIONS: Partial<Record<JobName, { expireInSeconds?: number; retryLimit?: number; heartbeatSeconds?: number; retryDelay?: number; retryDelayMax?: number }>> = {
  'finetune.train': { expireInSeconds: 24 * 3600, retryLimit: 3, heartbeatSeconds: 10 },
  'inference.batch': { expireInSeconds: 24 * 3600, retryLimit: 20, retryDelay: 10, retryDelayMax: 300, heartbeatSeconds: 10 },
  'harvest.run': { expireInSeconds: 6 * 3600, retryLimit: 5, heartbeatSeconds: 10 },
  'dataset.build': { expireInSeconds: 3600 },
  'model.evaluate': { expireInSeconds: 6 * 3600, retryLimit: 2, heartbeatSeconds: 10 },
  // Waits for the harvests and the dataset build it started.
  'retrain.run': { expireInSeconds: 12 * 3600, retryLimit: 5, heartbeatSeconds: 10 },
  'slack.draft': { retryLimit: 2, retryDelay: 5 },
  // A model server that is down (or a vendor still refusing after the shared retry) gets ~1 h of
  // backed-off retries (15 s, 30 s, … capped at 10 min) before the draft is given up.
  'draft.generate': { retryLimit: 10, retryDelay: 15, retryDelayMax: 600 },
  'triage.apply': { retryLimit: 10, retryDelay: 15, retryDelayMax: 600 },
  // An erasure resumes at its next step; a vendor or Slack outage gets backed-off retries.
  'gdpr.erase': { expireInSeconds: 6 * 3600, retryLimit: 10, retryDelay: 30, retryDelayMax: 900 },
};

export async function startQueue(options: { url: string; schema: string; log: Logger }): Promise<Queue> {
  const boss = new PgBoss({ connectionString: options.url, schema: options.schema, max: 4, superviseIntervalSeconds: 5, monitorIntervalSeconds: 5 });
  boss.on('error', (error) => options.log.error({ err: error }, 'queue error'));
  await boss.start();
  for (const name of JOB_NAMES) {
    const existing = await boss.getQueue(name);
    const policy = policyOf(name);
    if (!existing) await boss.createQueue(name, { policy, retryLimit: 3, retryDelay: 5, retryBackoff: true, ...QUEUE_OPTIONS[name] });
    else if ((existing.policy ?? 'standard') !== policy) {
      // A queue created before its policy was chosen. pg-boss's updateQueue refuses a policy change,
      // but a job takes its queue's policy when inserted (plans.ts insertJobs joins the queue row),
      // so new jobs get the policy and the open ones finish as they were.
      await boss.getDb().executeSql(`UPDATE ${options.schema}.queue SET policy = $1 WHERE name = $2`, [policy, name]);
      options.log.info({ queue: name, from: existing.policy, to: policy }, 'queue policy changed');
    }
  }

  const inTransaction = (tx: Tx) => fromDrizzle(tx as Parameters<typeof fromDrizzle>[0], sql);

  return {
    async send(name, payload, sendOptions = {}) {
      const data = parseJobPayload(name, payload);
      const { tx, ...rest } = sendOptions;
      const key = policyKey(name, data);
      // null: a job with this key is already open (the queue's policy refused the duplicate).
      return boss.send(name, data, { ...rest, ...(key !== undefined ? { singletonKey: key } : {}), ...(tx ? { db: inTransaction(tx) } : {}) });
    },
    async sendMany(name, jobs, { tx }) {
      if (!jobs.length) return;
      // Validated as send() would: insert() is pg-boss's raw batch path (docs/api/jobs.md insert(name, jobs, { db })).
      // Duplicates refused by the queue's policy are skipped (insert ends in ON CONFLICT DO NOTHING).
      const rows = jobs.map((job) => {
        const data = parseJobPayload(name, job.payload);
        const key = policyKey(name, data);
        return { data, ...(key !== undefined ? { singletonKey: key } : {}) };
      });
      await boss.insert(name, rows, { db: inTransaction(tx) });
    },
    checkCron(cron) {
      boss.previewSchedule(cron, { count: 1 });
    },
    async schedule(name, cron, payload, key) {
      const data = parseJobPayload(name, payload);
      const singletonKey = policyKey(name, data);
      await boss.schedule(name, cron, data, { key, ...(singletonKey !== undefined ? { singletonKey } : {}) });
    },
    async unschedule(name, key) {
      await boss.unschedule(name, key);
    },
    async scheduleKeys(name) {
      return (await boss.getSchedules(name)).map((schedule) => schedule.key);
    },
    async configureRetries(name, settings) {
      await boss.updateQueue(name, settings);
    },
    async stopWorking(name) {
      await boss.offWork(name);
    },
    async cancel(name, ids) {
      if (ids.length) await boss.cancel(name, [...ids]);
    },
    async job(name, id) {
      const job = await boss.getJobById(name, id);
      return job ? { id: job.id, state: job.state, data: job.data, output: job.output } : null;
    },
    async drain(name, handler) {
      const outcome = { completed: 0, failed: [] as string[] };
      for (;;) {
        const jobs = await boss.fetch<unknown>(name, { batchSize: 20 });
        if (!jobs.length) return outcome;
        for (const job of jobs) {
          try {
            await handler(parseJobPayload(name, job.data), { id: job.id, signal: new AbortController().signal, retryCount: job.retryCount });
            await boss.complete(name, job.id);
            outcome.completed++;
          } catch (error) {
            await boss.fail(name, job.id, { message: safeErrorMessage(error) });
            outcome.failed.push(job.id);
          }
        }
      }
    },
    openJobExists(name, match) {
      const conditions = [sql`j.name = ${name}`, sql`j.state IN ('created', 'retry', 'active')`];
      if (match.singletonKey !== undefined) conditions.push(sql`j.singleton_key = ${match.singletonKey}`);
      for (const [field, value] of Object.entries(match.data ?? {})) conditions.push(sql`j.data->>${field} = ${value}`);
      return sql<boolean>`EXISTS (SELECT 1 FROM ${sql.identifier(options.schema)}.job j WHERE ${sql.join(conditions, sql` AND `)})`;
    },
    async ping() {
      return (await boss.getQueue('harvest.run')) !== null;
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
      // Live counts from the job table: getQueues() serves the monitor's cached numbers. A job
      // waiting for its start_after (a backed-off retry, a delayed send) is queued but not late.
      const { rows } = await boss.getDb().executeSql(
        `SELECT name, state, count(*)::int AS count,
                coalesce(extract(epoch FROM now() - min(created_on) FILTER (WHERE start_after <= now())), 0)::float8 AS oldest
           FROM ${options.schema}.job WHERE state IN ('created', 'retry', 'active', 'failed') GROUP BY name, state`,
      );
      const counts = new Map<string, number>();
      const oldest = new Map<string, number>();
      for (const row of rows as Array<{ name: string; state: string; count: number; oldest: number }>) {
        const state = row.state === 'retry' ? 'created' : row.state;
        counts.set(`${row.name}/${state}`, (counts.get(`${row.name}/${state}`) ?? 0) + row.count);
        if (state === 'created') oldest.set(row.name, Math.max(oldest.get(row.name) ?? 0, row.oldest));
      }
      return JOB_NAMES.map((name) => ({
        name,
        queued: counts.get(`${name}/created`) ?? 0,
        active: counts.get(`${name}/active`) ?? 0,
        failed: counts.get(`${name}/failed`) ?? 0,
        oldestQueuedSeconds: oldest.get(name) ?? 0,
      }));
    },
    async stop({ timeoutMs }) {
      await boss.stop({ graceful: true, timeout: timeoutMs, close: true });
    },
  };
}
