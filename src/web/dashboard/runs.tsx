/**
 * /runs: fine-tuning runs, a form to start one on a dataset version, and a page per run with live
 * loss and eval-loss curves (Server-Sent Events from /runs/:id/stream drawn by uPlot), the learning
 * rate, checkpoints with the best marked, hyperparameters, events, and cancel. Starting and
 * cancelling call the same functions as POST /api/v1/fine_tuning/jobs and …/cancel.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import type { TrainingBackend } from '../../db/schema/index.ts';
import { listCheckpoints, listEvents } from '../../training/events.ts';
import { cancelJob, createJob, getJob, JobInputError, listJobs, NewFineTuningJob } from '../../training/jobs.ts';
import { modelForJob } from '../../training/outcomes.ts';
import { isTerminal } from '../../training/status.ts';
import { ActionForm, Empty, Field, fmt, Notice, SelectField, shortId, Status, When } from './components.tsx';
import { requireRole } from '../auth.ts';
import { can, CSRF_FIELD, type DashboardEnv } from './guard.ts';
import { Layout } from './layout.tsx';
import { metricsSince, readyVersions } from './run-data.ts';

/** How often a live stream looks for new numbers. */
const STREAM_POLL_MS = 500;
const METHODS = ['lora', 'qlora', 'full'] as const;
type Errors = Partial<Record<'dataset_version' | 'model' | 'method' | 'hyperparameters' | 'suffix', string>>;
type Values = Partial<Record<keyof Errors, string>>;

const StartForm = z.object({
  dataset_version: z.uuid({ error: 'choose a ready dataset version' }),
  model: z.string().trim().min(1, 'name a base model (a Hugging Face id or a local directory)'),
  method: z.enum(METHODS, { error: `choose ${METHODS.join(', ')}` }),
  hyperparameters: z.string().transform((text, ctx) => {
    try {
      const value: unknown = JSON.parse(text.trim() || '{}');
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'hyperparameters must be a JSON object, e.g. {"max_steps": 100}' });
    return z.NEVER;
  }),
  suffix: z.string().trim().optional().transform((value) => value || undefined),
});

export function runPages(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<DashboardEnv>();
  const backends: TrainingBackend[] = ['local', ...(deps.config.OPENAI_API_KEY ? (['openai'] as const) : [])];

  const list = async (c: Context<DashboardEnv>, form: { values: Values; errors: Errors } = { values: {}, errors: {} }, status: 200 | 400 = 200) => {
    const { rows } = await listJobs(db, { limit: 50 });
    const versions = await readyVersions(db);
    const session = c.get('session');
    return c.html(
      <Layout title="Runs" session={session} path="/runs">
        <section class="card">
          {rows.length ? (
            <table>
              <thead>
                <tr>
                  <th>run</th>
                  <th>status</th>
                  <th>task</th>
                  <th>base model</th>
                  <th class="num">step</th>
                  <th class="num">loss</th>
                  <th class="num">eval loss</th>
                  <th>created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((job) => (
                  <tr>
                    <td>
                      <a href={`/runs/${job.id}`}>{shortId(job.id)}</a>
                    </td>
                    <td>
                      <Status value={job.status} />
                    </td>
                    <td>{job.task}</td>
                    <td>{job.model.length > 40 ? `…${job.model.slice(-40)}` : job.model}</td>
                    <td class="num">
                      {fmt(job.progress.step)} / {fmt(job.progress.totalSteps)}
                    </td>
                    <td class="num">{fmt(job.progress.loss)}</td>
                    <td class="num">{fmt(job.progress.bestEvalLoss ?? job.progress.evalLoss)}</td>
                    <td>
                      <When at={job.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No runs yet. {can(c, 'operator') ? 'Start one below from a ready dataset version.' : 'An operator starts them.'}</Empty>
          )}
        </section>
        {can(c, 'operator') ? (
          <section class="card">
            <h2>Start a run</h2>
            {versions.length ? (
              <form method="post" action="/runs" class="stack">
                <input type="hidden" name={CSRF_FIELD} value={session.csrf} />
                <div class="field">
                  <label for="field-dataset_version">Dataset version</label>
                  <select id="field-dataset_version" name="dataset_version" aria-invalid={form.errors.dataset_version ? 'true' : undefined}>
                    {versions.map((version) => (
                      <option value={version.id} selected={version.id === form.values.dataset_version}>
                        {version.name}@{version.version} ({version.task})
                      </option>
                    ))}
                  </select>
                  {form.errors.dataset_version ? <small class="error" role="alert">{form.errors.dataset_version}</small> : null}
                </div>
                <Field name="model" label="Base model" value={form.values.model} error={form.errors.model} placeholder="Qwen/Qwen2.5-0.5B-Instruct" required />
                <SelectField name="method" label="Method" options={METHODS} value={form.values.method ?? 'lora'} error={form.errors.method} />
                <div class="field">
                  <label for="field-hyperparameters">Hyperparameters (JSON; empty for the defaults)</label>
                  <textarea id="field-hyperparameters" name="hyperparameters" rows={3} aria-invalid={form.errors.hyperparameters ? 'true' : undefined} aria-describedby={form.errors.hyperparameters ? 'field-hyperparameters-error' : undefined} placeholder='{"max_steps": 200, "learning_rate": 0.0002}'>
                    {form.values.hyperparameters ?? ''}
                  </textarea>
                  {form.errors.hyperparameters ? <small class="error" id="field-hyperparameters-error" role="alert">{form.errors.hyperparameters}</small> : null}
                </div>
                <Field name="suffix" label="Suffix (optional)" value={form.values.suffix} error={form.errors.suffix} />
                <div>
                  <button type="submit">Start run</button>
                </div>
              </form>
            ) : (
              <>
                {Object.values(form.errors).length ? <Notice kind="error">{Object.values(form.errors).join('; ')}</Notice> : null}
                <Empty>
                  No ready dataset version to train on. <a href="/datasets">Build one first</a>.
                </Empty>
              </>
            )}
          </section>
        ) : null}
      </Layout>,
      status,
    );
  };

  app.get('/', requireRole('viewer'), (c) => list(c));

  app.post('/', requireRole('operator'), async (c) => {
    const body = await c.req.parseBody();
    const values: Values = Object.fromEntries(['dataset_version', 'model', 'method', 'hyperparameters', 'suffix'].map((key) => [key, typeof body[key] === 'string' ? body[key] : '']));
    const fail = (errors: Errors) => list(c, { values, errors }, 400);
    const parsed = StartForm.safeParse(values);
    if (!parsed.success) {
      const errors: Errors = {};
      for (const issue of parsed.error.issues) errors[issue.path[0] as keyof Errors] ??= issue.message;
      return fail(errors);
    }
    if (!deps.queue) return fail({ model: 'the job queue is not running, so no run can start' });
    const { method, hyperparameters, ...rest } = parsed.data;
    const input = NewFineTuningJob.safeParse({ ...rest, method: { type: method, hyperparameters } });
    if (!input.success) {
      const issue = input.error.issues[0];
      const field = issue?.path[0] === 'method' ? 'hyperparameters' : ((issue?.path[0] as keyof Errors | undefined) ?? 'model');
      return fail({ [field]: `${issue?.path.slice(1).join('.') || ''}${issue?.path.length && issue.path.length > 1 ? ': ' : ''}${issue?.message ?? 'invalid'}` });
    }
    try {
      const job = await createJob(db, input.data, { queue: deps.queue, actor: c.get('actor'), backends });
      return c.redirect(`/runs/${job.id}`, 303);
    } catch (error) {
      if (error instanceof JobInputError) {
        const field: keyof Errors = error.param === 'model' || error.param === 'suffix' || error.param === 'dataset_version' ? error.param : error.param?.includes('hyperparameters') || error.param === 'method' ? 'hyperparameters' : 'model';
        return fail({ [field]: error.message });
      }
      throw error;
    }
  });

  const page = async (c: Context<DashboardEnv>, notice?: string) => {
    const job = await getJob(db, c.req.param('id') ?? '');
    if (!job) return c.text('No such run.', 404);
    const [{ rows: checkpoints }, { rows: events }, model] = await Promise.all([listCheckpoints(db, job.id, { limit: 50 }), listEvents(db, job.id, { limit: 200 }), modelForJob(db, job.id)]);
    const session = c.get('session');
    const live = !isTerminal(job.status);
    return c.html(
      <Layout title={`Run ${shortId(job.id)}`} session={session} path="/runs" scripts={['/assets/uplot.min.js', '/assets/run-chart.js']} styles={['/assets/uplot.min.css']}>
        {notice ? <Notice kind="error">{notice}</Notice> : null}
        <section class="card">
          <p>
            <Status value={job.status} /> {job.task} · {job.method} on <code>{job.model}</code> · backend {job.backend} · step <span id="run-step">{fmt(job.progress.step)}</span> / {fmt(job.progress.totalSteps)} · best eval loss {fmt(job.progress.bestEvalLoss)}
            {model ? (
              <>
                {' '}
                · model <a href={`/models/${model.id}`}>{shortId(model.id)}</a>
              </>
            ) : null}
          </p>
          {job.error ? <Notice kind="error">{job.error.message}</Notice> : null}
          {live && can(c, 'operator') ? (
            <ActionForm action={`/runs/${job.id}/cancel`} csrf={session.csrf}>
              <button type="submit" class="danger">
                Cancel run
              </button>
            </ActionForm>
          ) : null}
        </section>
        <div class="grid2">
          <section class="card">
            <h2>Loss</h2>
            <div id="loss-chart" class="chart" data-run={job.id} data-live={live ? 'true' : 'false'} role="img" aria-label="training and evaluation loss by step"></div>
            <p class="muted" id="chart-status" aria-live="polite"></p>
          </section>
          <section class="card">
            <h2>Learning rate</h2>
            <div id="lr-chart" class="chart" role="img" aria-label="learning rate by step"></div>
          </section>
        </div>
        <div class="grid2">
          <section class="card">
            <h2>Checkpoints</h2>
            {checkpoints.length ? (
              <table>
                <thead>
                  <tr>
                    <th class="num">step</th>
                    <th>metrics</th>
                    <th>best</th>
                  </tr>
                </thead>
                <tbody>
                  {checkpoints.map((checkpoint) => (
                    <tr class={checkpoint.isBest ? 'best' : undefined}>
                      <td class="num">{checkpoint.step}</td>
                      <td>
                        {Object.entries(checkpoint.metrics)
                          .map(([key, value]) => `${key} ${fmt(value)}`)
                          .join(' · ')}
                      </td>
                      <td>{checkpoint.isBest ? <b>★ best</b> : null}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No checkpoint yet: the worker saves one at each evaluation.</Empty>
            )}
          </section>
          <section class="card">
            <h2>Hyperparameters</h2>
            <pre>{JSON.stringify(job.hyperparameters, null, 2)}</pre>
          </section>
        </div>
        <section class="card">
          <h2>Events</h2>
          {events.length ? (
            <table>
              <thead>
                <tr>
                  <th>at</th>
                  <th>level</th>
                  <th>type</th>
                  <th>message</th>
                </tr>
              </thead>
              <tbody>
                {events.map((event) => (
                  <tr>
                    <td>
                      <When at={event.createdAt} />
                    </td>
                    <td>{event.level}</td>
                    <td>{event.type}</td>
                    <td>{event.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No events yet: the run is waiting for a worker.</Empty>
          )}
        </section>
      </Layout>,
    );
  };

  app.get('/:id', requireRole('viewer'), (c) => page(c));

  app.post('/:id/cancel', requireRole('operator'), async (c) => {
    const job = await getJob(db, c.req.param('id'));
    if (!job) return c.text('No such run.', 404);
    await cancelJob(db, deps.queue, job.id, c.get('actor'));
    return c.redirect(`/runs/${job.id}`, 303);
  });

  /** Live numbers: `metrics` frames (points changed since the last), `status` frames, `end` at a final status. */
  app.get('/:id/stream', requireRole('viewer'), async (c) => {
    const job = await getJob(db, c.req.param('id'));
    if (!job) return c.text('No such run.', 404);
    return streamSSE(c, async (sse) => {
      let open = true;
      sse.onAbort(() => {
        open = false;
      });
      let cursor: string | null = null;
      let lastStatus = '';
      while (open) {
        // The status first: points written before a final status are all sent before `end`.
        const current = await getJob(db, job.id);
        const batch = await metricsSince(db, job.id, cursor);
        cursor = batch.cursor;
        if (batch.points.length) await sse.writeSSE({ event: 'metrics', data: JSON.stringify(batch.points) });
        const status = JSON.stringify({ status: current?.status ?? 'deleted', step: current?.progress.step ?? null, total_steps: current?.progress.totalSteps ?? null });
        if (status !== lastStatus) await sse.writeSSE({ event: 'status', data: status });
        lastStatus = status;
        if (!current || isTerminal(current.status)) {
          await sse.writeSSE({ event: 'end', data: status });
          return;
        }
        await sse.sleep(STREAM_POLL_MS);
      }
    });
  });

  return app;
}
