/** app_home_opened: the App Home tab, published for the person who opened it (views/home.ts). */
import { desc, eq, inArray } from 'drizzle-orm';
import { allows } from '../../auth/roles.ts';
import { fineTuningJobs, models } from '../../db/schema/index.ts';
import { latestEvaluation } from '../../models/evaluation/evaluations.ts';
import { listAlerts } from '../../serving/compliance/alerts/alerts.ts';
import { acceptanceByModel } from '../../serving/feedback/stats.ts';
import type { SlackContext } from '../context.ts';
import { homeView, type HomeState } from '../views/home.ts';

const FIGURES = ['chrf', 'eval_loss', 'macro_f1', 'accuracy', 'precision', 'recall'];
const WEEK_MS = 7 * 86_400_000;

export async function publishHome(ctx: SlackContext, userId: string): Promise<void> {
  const roles = [...(await ctx.permissions.rolesOf(userId, ctx.slack))];
  const { db } = ctx.deps.database;
  const state: HomeState = { roles, production: [], runs: [], alerts: null, acceptance: [] };
  if (allows(roles, 'viewer')) {
    for (const model of await db.select().from(models).where(eq(models.status, 'production')).orderBy(models.task)) {
      const evaluation = await latestEvaluation(db, model.id);
      const candidate = (evaluation?.report?.candidate ?? {}) as Record<string, unknown>;
      const figures = Object.fromEntries(FIGURES.filter((name) => typeof candidate[name] === 'number').map((name) => [name, candidate[name] as number]));
      state.production.push({ task: model.task, id: model.id, baseModel: model.baseModel, figures });
    }
    const running = await db.select().from(fineTuningJobs).where(inArray(fineTuningJobs.status, ['validating_files', 'queued', 'running'])).orderBy(desc(fineTuningJobs.createdAt)).limit(5);
    const recent = await db.select().from(fineTuningJobs).orderBy(desc(fineTuningJobs.createdAt)).limit(5);
    const seen = new Set<string>();
    for (const job of [...running, ...recent]) {
      if (seen.has(job.id)) continue;
      seen.add(job.id);
      state.runs.push({ id: job.id, task: job.task, model: job.model, status: job.status, step: job.progress.step ?? null, totalSteps: job.progress.totalSteps ?? null });
    }
    const byTask = new Map<string, { posted: number; judged: number; accepted: number }>();
    for (const row of await acceptanceByModel(db, { since: new Date(Date.now() - WEEK_MS) })) {
      const sum = byTask.get(row.task) ?? { posted: 0, judged: 0, accepted: 0 };
      byTask.set(row.task, { posted: sum.posted + row.posted, judged: sum.judged + row.judged, accepted: sum.accepted + row.accepted });
    }
    state.acceptance = [...byTask].map(([task, s]) => ({ task, posted: s.posted, judged: s.judged, rate: s.judged ? s.accepted / s.judged : null }));
  }
  if (allows(roles, 'compliance')) state.alerts = (await listAlerts(db, { status: 'open', limit: 10 })).map((a) => ({ id: a.id, policyId: a.policyId, severity: a.severity }));
  await ctx.slack.publishHome(userId, homeView(state));
}
