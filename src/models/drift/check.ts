/**
 * Drift: do a task's live inputs still look like what its production model was trained on?
 * Language mix and (triage) label mix by Jensen-Shannon distance (PSI alongside), the relative
 * change of the median input length, and the share of unseen words beyond the held-out baseline
 * (metrics.ts). Each check stores a `drift_reports` row; a task that becomes drifted (the
 * previous report for its model was not) gets a Slack notification and a `drift.detected` event,
 * in the report's transaction. Runs on DRIFT_CHECK_CRON (`drift.check`), or `tuneloop drift check`.
 */
import { and, desc, eq } from 'drizzle-orm';
import { openArtifactStore, type ArtifactStore } from '../../artifacts/index.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { datasetVersions, driftReports, models } from '../../db/schema/index.ts';
import { emitEvent } from '../../events/emit.ts';
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../log.ts';
import type { JobHandler, Queue } from '../../queue/queue.ts';
import { compareProfiles, type DriftMetrics } from './metrics.ts';
import { DriftDataError, liveSide, trainingSide } from './profile.ts';
import { productionModel } from '../registry/registry.ts';
import { afterRow } from '../../db/keyset.ts';

export { DriftDataError } from './profile.ts';
export type DriftReport = typeof driftReports.$inferSelect;

export interface DriftDeps {
  db: Db;
  queue: Queue | null;
  config: Config;
  store?: ArtifactStore;
}

export async function checkDrift(deps: DriftDeps, task: string): Promise<DriftReport & { metrics: DriftMetrics }> {
  const model = await productionModel(deps.db, task);
  if (!model) throw new DriftDataError(`task ${task} has no production model to compare with`);
  if (!model.datasetVersionId) throw new DriftDataError(`production model ${model.id} was not trained on a dataset version; its training set is unknown`);
  const [version] = await deps.db.select().from(datasetVersions).where(eq(datasetVersions.id, model.datasetVersionId));
  if (!version?.manifest || version.status === 'erased') throw new DriftDataError(`dataset version ${model.datasetVersionId} of model ${model.id} has no files to compare with`);

  const training = await trainingSide(deps.store ?? openArtifactStore(deps.config), task, version.manifest);
  const since = model.promotedAt ?? model.createdAt;
  const live = await liveSide(deps.db, training, task, since);
  const thresholds = { js: deps.config.DRIFT_JS_THRESHOLD, lengthChange: deps.config.DRIFT_LENGTH_CHANGE_THRESHOLD, unseen: deps.config.DRIFT_UNSEEN_TOKENS_THRESHOLD };
  const compared = compareProfiles(training.profile, training, live, since, thresholds);
  let { drifted } = compared;
  const metrics: DriftMetrics = { ...compared.metrics };
  if (live.size < deps.config.DRIFT_MIN_LIVE_MESSAGES) {
    metrics.insufficient = `${live.size} live customer messages since ${since.toISOString()}; at least ${deps.config.DRIFT_MIN_LIVE_MESSAGES} are needed (DRIFT_MIN_LIVE_MESSAGES)`;
    drifted = false;
  }

  return deps.db.transaction(async (tx) => {
    const [previous] = await tx.select({ drifted: driftReports.drifted }).from(driftReports).where(and(eq(driftReports.task, task), eq(driftReports.modelId, model.id))).orderBy(desc(driftReports.createdAt)).limit(1);
    const [report] = await tx.insert(driftReports).values({ task, modelId: model.id, metrics: { ...metrics }, drifted, score: compared.score }).returning();
    if (!report) throw new Error('drift report insert returned nothing');
    // One alert when a task becomes drifted, not one every hour while it stays so.
    if (drifted && !previous?.drifted) {
      await deps.queue?.send('slack.notify', { kind: 'drift.detected', subjectId: report.id }, { tx });
      await emitEvent(tx, { type: 'drift.detected', subjectId: report.id, data: { task, modelId: model.id, score: compared.score, reasons: metrics.reasons } }, { queue: deps.queue });
    }
    return { ...report, metrics };
  });
}

/** Newest first; `afterId` pages after that report. */
export async function listDriftReports(db: Db, filter: { task?: string | undefined; afterId?: string | undefined; limit?: number | undefined }): Promise<DriftReport[]> {
  const where = [
    ...(filter.task ? [eq(driftReports.task, filter.task)] : []),
    ...(filter.afterId ? [afterRow(driftReports, driftReports.createdAt, driftReports.id, filter.afterId)] : []),
  ];
  return db
    .select()
    .from(driftReports)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(driftReports.createdAt), desc(driftReports.id))
    .limit(filter.limit ?? 20);
}

export async function getDriftReport(db: Db, id: string): Promise<DriftReport | null> {
  const [row] = await db.select().from(driftReports).where(eq(driftReports.id, id));
  return row ?? null;
}

/** Tasks that have a production model: the ones a scheduled check covers. */
export async function monitoredTasks(db: Db): Promise<string[]> {
  const rows = await db.selectDistinct({ task: models.task }).from(models).where(eq(models.status, 'production'));
  return rows.map((row) => row.task).sort();
}

export async function checkAllTasks(deps: DriftDeps & { log: Logger }, tasks?: string[]): Promise<DriftReport[]> {
  const reports: DriftReport[] = [];
  for (const task of tasks ?? (await monitoredTasks(deps.db))) {
    try {
      const report = await checkDrift(deps, task);
      deps.log.info({ task, reportId: report.id, drifted: report.drifted, score: report.score }, 'drift checked');
      reports.push(report);
    } catch (error) {
      // One task without usable data must not stop the others; anything unexpected still fails the job.
      if (!(error instanceof DriftDataError)) throw error;
      deps.log.warn({ task, reason: error.message }, 'drift not checked');
    }
  }
  return reports;
}

export function driftCheckHandler(deps: HubDeps): JobHandler<'drift.check'> {
  const log = deps.log.child({ module: 'drift' });
  return async (payload) => {
    await checkAllTasks({ db: deps.database.db, queue: deps.queue, config: deps.config, log }, payload.task ? [payload.task] : undefined);
  };
}
