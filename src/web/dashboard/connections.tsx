/**
 * /connections: each connection with its last harvest; a page per connection with its runs (counts,
 * errors), a test button and "harvest now". Adding one takes the vendor's settings and credentials
 * as JSON, validated by the vendor's own schemas like POST /api/v1/connections.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { VENDORS } from '../../../integrations/registry.ts';
import { ConnectionInputError, connectorFor, createConnection, findConnection, listConnections, NewConnection, publicConnection } from '../../connections/store.ts';
import type { AppDeps } from '../../deps.ts';
import { createRun, listRuns, type HarvestRun } from '../../harvest/runs.ts';
import { ScheduleError, syncSchedule, validateSchedule } from '../../harvest/schedules.ts';
import { ActionForm, Empty, Field, Notice, SelectField, Status, When } from './components.tsx';
import { requireRole } from '../auth.ts';
import { can, CSRF_FIELD, type DashboardEnv } from './guard.ts';
import { Layout } from './layout.tsx';

const VENDOR_NAMES = Object.keys(VENDORS);
type Errors = Partial<Record<'vendor' | 'name' | 'settings' | 'credentials' | 'schedule', string>>;
type Values = Partial<Record<keyof Errors, string>>;

const json = (label: string) =>
  z.string().transform((text, ctx) => {
    try {
      const value: unknown = JSON.parse(text || '{}');
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: `${label} must be a JSON object, e.g. {"baseUrl": "http://127.0.0.1:4010"}` });
    return z.NEVER;
  });

const AddForm = z.object({
  vendor: z.enum(VENDOR_NAMES as [string, ...string[]], { error: `choose one of ${VENDOR_NAMES.join(', ')}` }),
  name: NewConnection.shape.name,
  settings: json('settings'),
  credentials: json('credentials'),
  schedule: z.string().trim().optional().transform((value) => value || null),
});

function RunsTable(props: { runs: HarvestRun[] }) {
  if (!props.runs.length) return <Empty>No harvest yet. Press "Harvest now" to fetch conversations.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th>started</th>
          <th>status</th>
          <th>trigger</th>
          <th class="num">conversations</th>
          <th class="num">new</th>
          <th class="num">messages</th>
          <th class="num">vendor requests</th>
          <th>error</th>
        </tr>
      </thead>
      <tbody>
        {props.runs.map((run) => (
          <tr data-harvest={run.id}>
            <td>
              <When at={run.startedAt ?? run.createdAt} />
            </td>
            <td>
              <Status value={run.status} />
            </td>
            <td>{run.trigger}</td>
            <td class="num">{run.conversationsSeen}</td>
            <td class="num">{run.conversationsCreated}</td>
            <td class="num">{run.messagesWritten}</td>
            <td class="num">{run.vendorRequests}</td>
            <td>{run.error ? <span class="error">{run.error}</span> : null}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function connectionPages(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<DashboardEnv>();

  const list = async (c: Context<DashboardEnv>, form: { values: Values; errors: Errors } = { values: {}, errors: {} }, status: 200 | 400 = 200) => {
    const rows = await Promise.all((await listConnections(db)).map(async (row) => ({ row, last: (await listRuns(db, { connectionId: row.id, limit: 1 }))[0] ?? null })));
    const session = c.get('session');
    return c.html(
      <Layout title="Connections" session={session} path="/connections">
        <section class="card">
          {rows.length ? (
            <table>
              <thead>
                <tr>
                  <th>name</th>
                  <th>vendor</th>
                  <th>schedule</th>
                  <th>last harvest</th>
                  <th class="num">conversations</th>
                  <th>error</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ row, last }) => (
                  <tr>
                    <td>
                      <a href={`/connections/${row.id}`}>{row.name}</a>
                    </td>
                    <td>{row.vendor}</td>
                    <td>{row.schedule ?? <span class="muted">manual</span>}</td>
                    <td>{last ? <><Status value={last.status} /> <When at={last.finishedAt ?? last.createdAt} /></> : <span class="muted">never</span>}</td>
                    <td class="num">{last?.conversationsSeen ?? '—'}</td>
                    <td>{last?.error ? <span class="error">{last.error}</span> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No connections yet. {can(c, 'admin') ? 'Add one below; to try it out, start a sandbox with `tuneloop sandbox zendesk` and use its URL.' : 'An admin adds them.'}</Empty>
          )}
        </section>
        {can(c, 'admin') ? (
          <section class="card">
            <h2>Add a connection</h2>
            <form method="post" action="/connections" class="stack">
              <input type="hidden" name={CSRF_FIELD} value={session.csrf} />
              <SelectField name="vendor" label="Vendor" options={VENDOR_NAMES} value={form.values.vendor} error={form.errors.vendor} />
              <Field name="name" label="Name" value={form.values.name} error={form.errors.name} placeholder="zendesk-eu" required />
              <div class="field">
                <label for="field-settings">Settings (JSON)</label>
                <textarea id="field-settings" name="settings" rows={3} aria-invalid={form.errors.settings ? 'true' : undefined} placeholder='{"baseUrl": "http://127.0.0.1:4010"}'>
                  {form.values.settings ?? ''}
                </textarea>
                {form.errors.settings ? <small class="error" role="alert">{form.errors.settings}</small> : null}
              </div>
              <div class="field">
                <label for="field-credentials">Credentials (JSON, stored encrypted, never shown again)</label>
                <textarea id="field-credentials" name="credentials" rows={3} aria-invalid={form.errors.credentials ? 'true' : undefined} placeholder='{"type": "api_token", "email": "…", "token": "…"}'>
                  {form.values.credentials ?? ''}
                </textarea>
                {form.errors.credentials ? <small class="error" role="alert">{form.errors.credentials}</small> : null}
              </div>
              <Field name="schedule" label="Harvest schedule (cron, optional)" value={form.values.schedule} error={form.errors.schedule} placeholder="*/15 * * * *" />
              <div>
                <button type="submit">Add connection</button>
              </div>
            </form>
          </section>
        ) : null}
      </Layout>,
      status,
    );
  };

  app.get('/', requireRole('viewer'), (c) => list(c));

  app.post('/', requireRole('admin'), async (c) => {
    const body = await c.req.parseBody();
    const values: Values = Object.fromEntries(['vendor', 'name', 'settings', 'credentials', 'schedule'].map((key) => [key, typeof body[key] === 'string' ? body[key] : '']));
    const parsed = AddForm.safeParse(values);
    if (!parsed.success) {
      const errors: Errors = {};
      for (const issue of parsed.error.issues) errors[(issue.path[0] as keyof Errors) ?? 'name'] ??= issue.message;
      return list(c, { values, errors }, 400);
    }
    try {
      if (parsed.data.schedule && deps.queue) validateSchedule(deps.queue, parsed.data.schedule);
      const row = await db.transaction((tx) => createConnection(tx, deps.keyring, parsed.data, c.get('actor'), { allowedHosts: deps.config.VENDOR_ALLOWED_HOSTS }));
      if (deps.queue) await syncSchedule(deps.queue, row);
      return c.redirect(`/connections/${row.id}`, 303);
    } catch (error) {
      if (error instanceof ScheduleError) return list(c, { values, errors: { schedule: error.message } }, 400);
      if (error instanceof ConnectionInputError) {
        const field = (['settings', 'credentials', 'vendor'] as const).find((key) => error.message.startsWith(key)) ?? 'name';
        return list(c, { values, errors: { [field]: error.message } }, 400);
      }
      // A second connection of the same name breaks the unique index.
      if (error instanceof Error && /unique|duplicate/i.test(`${error.message} ${String(error.cause ?? '')}`)) return list(c, { values, errors: { name: `a connection named "${parsed.data.name}" exists already` } }, 400);
      throw error;
    }
  });

  const load = async (c: Context<DashboardEnv>) => {
    const row = await findConnection(db, c.req.param('id') ?? '');
    return row;
  };

  const detail = async (c: Context<DashboardEnv>, notice?: { kind: 'ok' | 'error'; text: string }) => {
    const row = await load(c);
    if (!row) return c.text('No such connection.', 404);
    const view = publicConnection(row, deps.keyring);
    const runs = await listRuns(db, { connectionId: row.id, limit: 20 });
    const session = c.get('session');
    return c.html(
      <Layout title={`Connection ${row.name}`} session={session} path="/connections">
        {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
        <section class="card">
          <p>
            {view.vendor} · credentials: {view.credentials.type ?? 'set'} ({view.credentials.fields.join(', ')}) · schedule: {view.schedule ?? 'manual'}
          </p>
          <pre>{JSON.stringify(view.settings, null, 2)}</pre>
          {can(c, 'operator') ? (
            <div class="actions">
              <button type="button" class="secondary" hx-post={`/connections/${row.id}/test`} hx-target="#test-result" hx-swap="innerHTML">
                Test connection
              </button>
              <ActionForm action={`/connections/${row.id}/harvest`} csrf={session.csrf}>
                <button type="submit">Harvest now</button>
              </ActionForm>
              <span id="test-result" aria-live="polite"></span>
            </div>
          ) : null}
        </section>
        <section class="card">
          <h2>Harvest runs</h2>
          <div hx-get={`/connections/${row.id}/runs`} hx-trigger={runs.some((run) => run.status === 'queued' || run.status === 'running') ? 'every 2s' : undefined} hx-swap="innerHTML">
            <RunsTable runs={runs} />
          </div>
        </section>
      </Layout>,
    );
  };

  app.get('/:id', requireRole('viewer'), (c) => detail(c));
  app.get('/:id/runs', requireRole('viewer'), async (c) => {
    const row = await load(c);
    if (!row) return c.text('No such connection.', 404);
    return c.html(<RunsTable runs={await listRuns(db, { connectionId: row.id, limit: 20 })} />);
  });

  app.post('/:id/test', requireRole('operator'), async (c) => {
    const row = await load(c);
    if (!row) return c.text('No such connection.', 404);
    const result = await connectorFor(db, deps.keyring, row).test();
    if (c.req.header('hx-request')) return c.html(<span class={result.ok ? 'verdict-pass' : 'verdict-fail'}>{result.ok ? `Works: ${result.detail}` : `Failed: ${result.detail}`}</span>);
    return detail(c, { kind: result.ok ? 'ok' : 'error', text: result.detail });
  });

  app.post('/:id/harvest', requireRole('operator'), async (c) => {
    const row = await load(c);
    if (!row) return c.text('No such connection.', 404);
    if (!deps.queue) return detail(c, { kind: 'error', text: 'The job queue is not running, so no harvest can start.' });
    await createRun(db, row.id, 'manual', deps.queue);
    return c.redirect(`/connections/${row.id}`, 303);
  });

  return app;
}
