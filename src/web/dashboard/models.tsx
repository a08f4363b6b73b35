/**
 * /models: production per task and the candidates; a model page with the evaluation candidate vs
 * production side by side, the gate's verdict, promote / reject / rollback through the same
 * registry functions and gate as /api/v1/models, A/B tests with per-arm acceptance and its 95 %
 * interval, and drift per task over time.
 */
import { desc, eq } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { TASKS } from '../../datasets/config.ts';
import { abTests } from '../../db/schema/index.ts';
import { abTestStats, endAbTest, getAbTest, startAbTest } from '../../models/ab/ab-test.ts';
import { listDriftReports } from '../../models/drift/check.ts';
import { latestEvaluation, requestEvaluation, type ModelMetrics } from '../../models/evaluation/evaluations.ts';
import type { Interval } from '../../models/proportions.ts';
import { gateVerdict } from '../../models/registry/gate.ts';
import { promote, reject, rollback } from '../../models/registry/promotion.ts';
import { getModel, listModels, productionModel, RegistryError, type ModelRow } from '../../models/registry/registry.ts';
import { ActionForm, Empty, Field, fmt, Notice, shortId, Status, When } from './components.tsx';
import { requireRole } from '../auth.ts';
import { can, CSRF_FIELD, type DashboardEnv } from './guard.ts';
import { Layout } from './layout.tsx';
import { Headline } from './overview.tsx';

const METRICS: Array<keyof ModelMetrics> = ['examples', 'eval_loss', 'chrf', 'rouge_l', 'accuracy', 'macro_f1', 'precision', 'recall', 'no_prediction_rate', 'latency_p50_ms', 'latency_p95_ms', 'tokens_per_second'];
const Reason = z.string().trim().max(2000).optional().transform((value) => value || undefined);
const pct = (value: number | null | undefined) => (typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : '—');
const interval = (value: Interval | null | undefined) => (value ? `${pct(value.lower)} – ${pct(value.upper)}` : '—');

export function modelPages(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<DashboardEnv>();
  const tolerances = deps.config;

  app.get('/', requireRole('viewer'), async (c) => {
    const session = c.get('session');
    const tasks = [];
    for (const task of TASKS) {
      const production = await productionModel(db, task);
      const { rows: candidates } = await listModels(db, { task, status: 'candidate', limit: 20 });
      const drift = await listDriftReports(db, { task, limit: 30 });
      if (production || candidates.length || drift.length) tasks.push({ task, production, candidates, drift, evaluation: production ? await latestEvaluation(db, production.id) : null });
    }
    const notice = c.req.query('notice');
    return c.html(
      <Layout title="Models" session={session} path="/models">
        {notice ? <Notice kind="error">{notice}</Notice> : null}
        {tasks.length ? (
          tasks.map(({ task, production, candidates, drift, evaluation }) => (
            <section class="card" id={`task-${task}`}>
              <h2>{task}</h2>
              <p>
                Production:{' '}
                {production ? (
                  <>
                    <a href={`/models/${production.id}`}>{shortId(production.id)}</a> <Headline metrics={evaluation?.report?.candidate} /> since <When at={production.promotedAt} />
                  </>
                ) : (
                  <span class="muted">none yet</span>
                )}
                {production && can(c, 'operator') ? (
                  <ActionForm action="/models/rollback" csrf={session.csrf}>
                    <input type="hidden" name="task" value={task} />
                    <button type="submit" class="secondary">
                      Roll back {task}
                    </button>
                  </ActionForm>
                ) : null}
              </p>
              <h3>Candidates</h3>
              {candidates.length ? (
                <ul>
                  {candidates.map((model) => (
                    <li>
                      <a href={`/models/${model.id}`}>{shortId(model.id)}</a> {model.baseModel} · <When at={model.createdAt} />
                    </li>
                  ))}
                </ul>
              ) : (
                <Empty>No candidate: a finished run registers one.</Empty>
              )}
              <h3>Drift over time</h3>
              {drift.length ? (
                <table>
                  <thead>
                    <tr>
                      <th>checked</th>
                      <th class="num">score (≥ 1 drifted)</th>
                      <th>drifted</th>
                    </tr>
                  </thead>
                  <tbody>
                    {drift.map((report) => (
                      <tr>
                        <td>
                          <When at={report.createdAt} />
                        </td>
                        <td class="num">
                          <span class="bar" style={`width: ${Math.min(100, report.score * 50).toFixed(0)}%; display: inline-block`}></span> {fmt(report.score)}
                        </td>
                        <td>{report.drifted ? <Status value="failed" /> : 'no'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <Empty>No drift check yet: it runs on a schedule once a model is in production.</Empty>
              )}
            </section>
          ))
        ) : (
          <section class="card">
            <Empty>
              No models yet. Finish a <a href="/runs">run</a>: it registers a candidate here to evaluate and promote.
            </Empty>
          </section>
        )}
      </Layout>,
    );
  });

  const page = async (c: Context<DashboardEnv>, model: ModelRow, result?: { kind: 'ok' | 'error'; text: string; field?: 'reason' | 'share' }, status: 200 | 400 | 409 = 200) => {
    const session = c.get('session');
    const evaluation = await latestEvaluation(db, model.id);
    const production = await productionModel(db, model.task);
    const verdict = model.status === 'production' ? null : gateVerdict({ task: model.task, modelId: model.id, evaluation, productionModelId: production?.id ?? null, tolerances });
    const tests = await db.select().from(abTests).where(eq(abTests.candidateModelId, model.id)).orderBy(desc(abTests.startedAt));
    const stats = await Promise.all(tests.map(async (test) => ({ test, stats: await abTestStats(db, test) })));
    const report = evaluation?.report;
    const pending = evaluation && (evaluation.status === 'queued' || evaluation.status === 'running');
    const operator = can(c, 'operator');
    return c.html(
      <Layout title={`Model ${shortId(model.id)}`} session={session} path="/models">
        {pending ? <meta http-equiv="refresh" content="3" /> : null}
        {result && !result.field ? <Notice kind={result.kind}>{result.text}</Notice> : null}
        <section class="card">
          <p>
            <Status value={model.status} /> {model.task} · {model.backend} · base <code>{model.baseModel}</code>
            {model.fineTuningJobId ? (
              <>
                {' '}
                · run <a href={`/runs/${model.fineTuningJobId}`}>{shortId(model.fineTuningJobId)}</a>
              </>
            ) : null}
            {model.datasetVersionId ? (
              <>
                {' '}
                · data <a href={`/datasets/versions/${model.datasetVersionId}`}>{shortId(model.datasetVersionId)}</a>
              </>
            ) : null}
          </p>
        </section>
        <section class="card" id="evaluation">
          <h2>Evaluation</h2>
          {report ? (
            <table>
              <thead>
                <tr>
                  <th>metric</th>
                  <th class="num">this model</th>
                  <th class="num">{report.baseline ? `${report.baseline.label} ${report.baseline.modelId ? shortId(report.baseline.modelId) : ''}` : 'baseline'}</th>
                </tr>
              </thead>
              <tbody>
                {METRICS.filter((key) => report.candidate[key] !== undefined || report.baseline?.[key] !== undefined).map((key) => (
                  <tr>
                    <td>{key.replace(/_/g, ' ')}</td>
                    <td class="num">{fmt(report.candidate[key])}</td>
                    <td class="num">{fmt(report.baseline?.[key])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>{evaluation ? `Evaluation ${evaluation.status}${evaluation.status === 'failed' ? '' : '…'}` : 'Not evaluated yet.'}</Empty>
          )}
          {operator && !pending ? (
            <ActionForm action={`/models/${model.id}/evaluate`} csrf={session.csrf}>
              <button type="submit" class="secondary">
                {evaluation ? 'Evaluate again' : 'Evaluate on the test split'}
              </button>
            </ActionForm>
          ) : null}
        </section>
        {verdict ? (
          <section class="card" id="gate">
            <h2>
              Gate: <span class={verdict.allowed ? 'verdict-pass' : 'verdict-fail'}>{verdict.allowed ? 'may be promoted' : 'blocked'}</span>
            </h2>
            <p>{verdict.reason}</p>
            {verdict.metrics.length ? (
              <table>
                <thead>
                  <tr>
                    <th>metric</th>
                    <th>better</th>
                    <th class="num">candidate</th>
                    <th class="num">baseline</th>
                    <th class="num">tolerance</th>
                    <th>pass</th>
                  </tr>
                </thead>
                <tbody>
                  {verdict.metrics.map((m) => (
                    <tr>
                      <td>{m.metric}</td>
                      <td>{m.direction}</td>
                      <td class="num">{fmt(m.candidate)}</td>
                      <td class="num">{fmt(m.baseline)}</td>
                      <td class="num">{fmt(m.tolerance)}</td>
                      <td>{m.pass ? <span class="verdict-pass">pass</span> : <span class="verdict-fail">fail</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            {operator && model.status === 'candidate' ? (
              <div class="grid2">
                <form method="post" action={`/models/${model.id}/promote`} class="stack">
                  <input type="hidden" name={CSRF_FIELD} value={session.csrf} />
                  <Field name="reason" label="Reason (needed to force past the gate)" value="" error={result?.field === 'reason' ? result.text : undefined} />
                  <div class="actions">
                    <button type="submit" name="force" value="false">
                      Promote
                    </button>
                    {!verdict.allowed ? (
                      <button type="submit" name="force" value="true" class="danger">
                        Force promote
                      </button>
                    ) : null}
                  </div>
                </form>
                <div>
                  <ActionForm action={`/models/${model.id}/reject`} csrf={session.csrf}>
                    <button type="submit" class="secondary">
                      Reject
                    </button>
                  </ActionForm>
                  {production && !tests.some((t) => t.status === "running") ? (
                    <form method="post" action={`/models/${model.id}/ab-test`} class="stack">
                      <input type="hidden" name={CSRF_FIELD} value={session.csrf} />
                      <Field name="share" label="A/B test: share of tickets for this model (0–1)" value="0.1" error={result?.field === 'share' ? result.text : undefined} />
                      <div>
                        <button type="submit" class="secondary">
                          Start A/B test
                        </button>
                      </div>
                    </form>
                  ) : null}
                </div>
              </div>
            ) : null}
          </section>
        ) : null}
        <section class="card" id="ab-tests">
          <h2>A/B tests</h2>
          {stats.length ? (
            stats.map(({ test, stats: s }) => (
              <div>
                <p>
                  <Status value={test.status} /> share {pct(test.share)} · started <When at={test.startedAt} /> · difference {s.difference ? `${pct(s.difference.difference)} (95 % ${interval(s.difference)})` : '—'}
                </p>
                <table>
                  <thead>
                    <tr>
                      <th>arm</th>
                      <th class="num">drafts</th>
                      <th class="num">with feedback</th>
                      <th class="num">accepted</th>
                      <th class="num">acceptance</th>
                      <th>95 % interval</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[s.arms.production, s.arms.candidate].map((arm) => (
                      <tr>
                        <td>
                          {arm.arm} <a href={`/models/${arm.modelId}`}>{shortId(arm.modelId)}</a>
                        </td>
                        <td class="num">{arm.drafts}</td>
                        <td class="num">{arm.withFeedback}</td>
                        <td class="num">{arm.accepted}</td>
                        <td class="num">{pct(arm.acceptanceRate)}</td>
                        <td>{interval(arm.acceptanceInterval)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {test.status === 'running' && operator ? (
                  <div class="actions">
                    <ActionForm action={`/models/ab/${test.id}/end`} csrf={session.csrf}>
                      <input type="hidden" name="outcome" value="promote" />
                      <button type="submit">End: promote candidate</button>
                    </ActionForm>
                    <ActionForm action={`/models/ab/${test.id}/end`} csrf={session.csrf}>
                      <input type="hidden" name="outcome" value="reject" />
                      <button type="submit" class="secondary">
                        End: keep production
                      </button>
                    </ActionForm>
                  </div>
                ) : null}
              </div>
            ))
          ) : (
            <Empty>No A/B test of this model. Start one from the gate section to compare acceptance on real tickets.</Empty>
          )}
        </section>
      </Layout>,
      status,
    );
  };

  const load = async (c: Context<DashboardEnv>) => {
    const id = z.uuid().safeParse(c.req.param('id'));
    return id.success ? getModel(db, id.data) : null;
  };
  /** Registry refusals (gate blocked, conflict) are shown on the page; nothing changed. */
  const refused = async (c: Context<DashboardEnv>, model: ModelRow, error: unknown, field?: 'reason' | 'share') => {
    if (error instanceof RegistryError) return page(c, (await getModel(db, model.id)) ?? model, { kind: 'error', text: error.message, field }, error.code === 'invalid_request' ? 400 : 409);
    throw error;
  };

  app.get('/:id', requireRole('viewer'), async (c) => {
    const model = await load(c);
    return model ? page(c, model) : c.text('No such model.', 404);
  });

  app.post('/rollback', requireRole('operator'), async (c) => {
    const task = z.enum(TASKS).safeParse((await c.req.parseBody()).task);
    if (!task.success) return c.redirect('/models?notice=' + encodeURIComponent('choose a task to roll back'), 303);
    try {
      await rollback(db, task.data, { actor: c.get('actor'), queue: deps.queue });
      return c.redirect('/models', 303);
    } catch (error) {
      if (error instanceof RegistryError) return c.redirect('/models?notice=' + encodeURIComponent(error.message), 303);
      throw error;
    }
  });

  app.post('/:id/evaluate', requireRole('operator'), async (c) => {
    const model = await load(c);
    if (!model) return c.text('No such model.', 404);
    if (!deps.queue) return page(c, model, { kind: 'error', text: 'The job queue is not running, so no evaluation can start.' }, 409);
    await requestEvaluation(db, deps.queue, model.id);
    return c.redirect(`/models/${model.id}#evaluation`, 303);
  });

  app.post('/:id/promote', requireRole('operator'), async (c) => {
    const model = await load(c);
    if (!model) return c.text('No such model.', 404);
    const body = await c.req.parseBody();
    const force = body.force === 'true';
    const reason = Reason.safeParse(body.reason);
    if (!reason.success) return page(c, model, { kind: 'error', text: reason.error.issues[0]?.message ?? 'invalid reason', field: 'reason' }, 400);
    if (force && !reason.data) return page(c, model, { kind: 'error', text: 'a forced promotion needs a reason', field: 'reason' }, 400);
    try {
      await promote(db, model.id, { actor: c.get('actor'), force, reason: reason.data, tolerances, queue: deps.queue });
      return c.redirect(`/models/${model.id}`, 303);
    } catch (error) {
      return refused(c, model, error);
    }
  });

  app.post('/:id/reject', requireRole('operator'), async (c) => {
    const model = await load(c);
    if (!model) return c.text('No such model.', 404);
    try {
      await reject(db, model.id, { actor: c.get('actor') });
      return c.redirect(`/models/${model.id}`, 303);
    } catch (error) {
      return refused(c, model, error);
    }
  });

  app.post('/:id/ab-test', requireRole('operator'), async (c) => {
    const model = await load(c);
    if (!model) return c.text('No such model.', 404);
    const share = z.coerce.number({ error: 'a number between 0 and 1' }).gt(0, 'more than 0').max(1, 'at most 1').safeParse((await c.req.parseBody()).share);
    if (!share.success) return page(c, model, { kind: 'error', text: `share: ${share.error.issues[0]?.message ?? 'invalid'}`, field: 'share' }, 400);
    try {
      await startAbTest(db, model.id, { share: share.data, actor: c.get('actor') });
      return c.redirect(`/models/${model.id}#ab-tests`, 303);
    } catch (error) {
      return refused(c, model, error, 'share');
    }
  });

  app.post('/ab/:id/end', requireRole('operator'), async (c) => {
    const id = z.uuid().safeParse(c.req.param('id'));
    const test = id.success ? await getAbTest(db, id.data) : null;
    if (!test) return c.text('No such A/B test.', 404);
    const outcome = z.enum(['promote', 'reject']).safeParse((await c.req.parseBody()).outcome);
    const model = await getModel(db, test.candidateModelId);
    if (!model) return c.text('No such model.', 404);
    if (!outcome.success) return page(c, model, { kind: 'error', text: 'choose promote or reject' }, 400);
    try {
      await endAbTest(db, test.id, outcome.data, { actor: c.get('actor'), tolerances, queue: deps.queue });
      return c.redirect(`/models/${model.id}#ab-tests`, 303);
    } catch (error) {
      return refused(c, model, error);
    }
  });

  return app;
}
