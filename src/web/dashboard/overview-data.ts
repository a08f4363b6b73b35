/** What the overview shows, read with the same services the API uses: the loop at a glance. */
import { and, count, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { complianceAlerts, datasets, datasetVersions, fineTuningJobs } from '../../db/schema/index.ts';
import { listConnections, type ConnectionRow } from '../../connections/store.ts';
import { TASKS } from '../../datasets/config.ts';
import { listRuns, type HarvestRun } from '../../harvest/runs.ts';
import { latestEvaluation, type EvaluationSummary } from '../../models/evaluation/evaluations.ts';
import { productionModel, type ModelRow } from '../../models/registry/registry.ts';
import { acceptanceByModel } from '../../serving/feedback/stats.ts';
import type { FineTuningJob } from '../../training/jobs.ts';

export interface Overview {
  connections: Array<{ connection: ConnectionRow; lastHarvest: HarvestRun | null }>;
  latestVersion: { dataset: string; version: number; status: string; id: string; builtAt: Date | null; createdAt: Date } | null;
  activeRuns: FineTuningJob[];
  production: Array<{ task: string; model: ModelRow; evaluation: EvaluationSummary | null }>;
  openAlerts: { total: number; bySeverity: Record<string, number> };
  drafts: { posted: number; judged: number; accepted: number; rate: number | null };
}

export async function loadOverview(db: Db): Promise<Overview> {
  const connections = await Promise.all((await listConnections(db)).map(async (connection) => ({ connection, lastHarvest: (await listRuns(db, { connectionId: connection.id, limit: 1 }))[0] ?? null })));

  const [version] = await db
    .select({ dataset: datasets.name, version: datasetVersions.version, status: datasetVersions.status, id: datasetVersions.id, builtAt: datasetVersions.builtAt, createdAt: datasetVersions.createdAt })
    .from(datasetVersions)
    .innerJoin(datasets, eq(datasets.id, datasetVersions.datasetId))
    .orderBy(desc(datasetVersions.createdAt))
    .limit(1);

  const activeRuns = await db
    .select()
    .from(fineTuningJobs)
    .where(inArray(fineTuningJobs.status, ['validating_files', 'queued', 'running']))
    .orderBy(desc(fineTuningJobs.createdAt))
    .limit(20);

  const production = [];
  for (const task of TASKS) {
    const model = await productionModel(db, task);
    if (model) production.push({ task, model, evaluation: await latestEvaluation(db, model.id) });
  }

  const severities = await db.select({ severity: complianceAlerts.severity, n: count() }).from(complianceAlerts).where(and(eq(complianceAlerts.status, 'open'))).groupBy(complianceAlerts.severity);
  const bySeverity = Object.fromEntries(severities.map((row) => [row.severity, row.n]));

  // "This week": the last seven days, so Monday mornings are not empty.
  const since = new Date(Date.now() - 7 * 24 * 3600_000);
  const acceptance = await acceptanceByModel(db, { since, task: 'reply' });
  const posted = acceptance.reduce((sum, row) => sum + row.posted, 0);
  const judged = acceptance.reduce((sum, row) => sum + row.judged, 0);
  const accepted = acceptance.reduce((sum, row) => sum + row.accepted, 0);

  return {
    connections,
    latestVersion: version ?? null,
    activeRuns,
    production,
    openAlerts: { total: severities.reduce((sum, row) => sum + row.n, 0), bySeverity },
    drafts: { posted, judged, accepted, rate: judged ? accepted / judged : null },
  };
}
