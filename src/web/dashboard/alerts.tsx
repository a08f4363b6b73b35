/**
 * /alerts: compliance alerts filtered by policy, state and source; an alert page with its evidence
 * highlighted in the message, the actions its state allows (the same state machine and audit as
 * POST /api/v1/alerts/:id/transitions), and its audit trail.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import type { AlertStatus } from '../../db/schema/index.ts';
import { transitionAlert, TransitionError } from '../../serving/compliance/alerts/alerts.ts';
import { loadAlertContext } from '../../serving/compliance/alerts/context.ts';
import { ALERT_ACTIONS } from '../../serving/compliance/alerts/slack-view.ts';
import { ALERT_STATUSES, TRANSITIONS } from '../../serving/compliance/alerts/transitions.ts';
import { alertAuditTrail, alertFacets, listAlertsBy, splitAtSpans } from './alert-data.ts';
import { Empty, Notice, SelectField, shortId, Status, When } from './components.tsx';
import { requireRole } from '../auth.ts';
import { can, CSRF_FIELD, type DashboardEnv } from './guard.ts';
import { Layout } from './layout.tsx';

const Status_ = z.enum(ALERT_STATUSES as [AlertStatus, ...AlertStatus[]]);
const Filter = z.object({
  policy: z.string().max(80).optional().transform((v) => v || undefined),
  status: z.union([Status_, z.literal('')]).optional().transform((v) => v || undefined),
  source: z.string().max(40).optional().transform((v) => v || undefined),
});

export function alertPages(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<DashboardEnv>();

  app.get('/', requireRole('compliance'), async (c) => {
    const parsed = Filter.safeParse(c.req.query());
    const filter: z.output<typeof Filter> = parsed.success ? parsed.data : { policy: undefined, status: undefined, source: undefined };
    const [rows, facets] = await Promise.all([listAlertsBy(db, filter), alertFacets(db)]);
    return c.html(
      <Layout title="Alerts" session={c.get('session')} path="/alerts">
        <form method="get" action="/alerts" class="filters card" data-autosubmit>
          <SelectField name="policy" label="Policy" options={facets.policies} value={filter.policy} blank="any policy" />
          <SelectField name="status" label="State" options={ALERT_STATUSES} value={filter.status} blank="any state" error={parsed.success ? undefined : 'unknown state'} />
          <SelectField name="source" label="Source" options={facets.sources} value={filter.source} blank="any source" />
          <button type="submit" class="secondary">
            Filter
          </button>
        </form>
        <section class="card">
          {rows.length ? (
            <table>
              <thead>
                <tr>
                  <th>raised</th>
                  <th>alert</th>
                  <th>policy</th>
                  <th>severity</th>
                  <th>state</th>
                  <th>source</th>
                  <th>conversation</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ alert, source, subject }) => (
                  <tr>
                    <td>
                      <When at={alert.createdAt} />
                    </td>
                    <td>
                      <a href={`/alerts/${alert.id}`}>{shortId(alert.id)}</a>
                    </td>
                    <td>
                      {alert.policyId} v{alert.policyVersion}
                    </td>
                    <td>
                      <Status value={alert.severity} />
                    </td>
                    <td>
                      <Status value={alert.status} />
                    </td>
                    <td>{source}</td>
                    <td>{subject ?? <span class="muted">no subject</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No alerts match. Alerts appear when compliance scanning finds a message that breaks a policy; try another filter.</Empty>
          )}
        </section>
      </Layout>,
    );
  });

  const page = async (c: Context<DashboardEnv>, id: string, notice?: { kind: 'ok' | 'error'; text: string }, status: 200 | 400 | 409 = 200) => {
    const context = await loadAlertContext(db, id);
    if (!context) return c.text('No such alert.', 404);
    const { alert } = context;
    const trail = await alertAuditTrail(db, alert.id);
    const session = c.get('session');
    const next = TRANSITIONS[alert.status];
    return c.html(
      <Layout title={`Alert ${shortId(alert.id)}`} session={session} path="/alerts">
        {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
        <section class="card">
          <p>
            <Status value={alert.status} /> <Status value={alert.severity} /> policy <b>{alert.policyId}</b> v{alert.policyVersion} · {context.conversation ? `${context.conversation.source} ${context.conversation.sourceId}` : 'uploaded document'}
            {context.conversation?.subject ? `: ${context.conversation.subject}` : ''} · raised <When at={alert.createdAt} />
          </p>
          <h2>Evidence</h2>
          {context.body !== null ? (
            <pre class="evidence">{splitAtSpans(context.body, alert.evidence).map((part) => (part.marked ? <mark>{part.text}</mark> : part.text))}</pre>
          ) : (
            <Empty>The message is gone (erased); the spans were:</Empty>
          )}
          <ul>
            {alert.evidence.map((span) => (
              <li>
                {span.kind}: <mark>{span.excerpt}</mark> (characters {span.start}–{span.end})
              </li>
            ))}
          </ul>
        </section>
        {can(c, 'compliance') && next.length ? (
          <section class="card">
            <h2>Decide</h2>
            <form method="post" action={`/alerts/${alert.id}/transitions`} class="stack">
              <input type="hidden" name={CSRF_FIELD} value={session.csrf} />
              <div class="field">
                <label for="field-note">Note (optional, kept in the audit log)</label>
                <textarea id="field-note" name="note" rows={2}></textarea>
              </div>
              <div class="actions">
                {next.map((to) => (
                  <button type="submit" name="to" value={to} class={ALERT_ACTIONS[to]?.style === 'danger' ? 'danger' : to === 'resolved' ? undefined : 'secondary'}>
                    {ALERT_ACTIONS[to]?.label ?? to}
                  </button>
                ))}
              </div>
            </form>
          </section>
        ) : null}
        <section class="card">
          <h2>Audit trail</h2>
          {trail.length ? (
            <table>
              <thead>
                <tr>
                  <th>at</th>
                  <th>who</th>
                  <th>what</th>
                  <th>note</th>
                </tr>
              </thead>
              <tbody>
                {trail.map((event) => (
                  <tr>
                    <td>
                      <When at={event.at} />
                    </td>
                    <td>{event.actor}</td>
                    <td>{event.action}</td>
                    <td>{typeof event.details.note === 'string' ? event.details.note : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>Nothing recorded yet.</Empty>
          )}
        </section>
      </Layout>,
      status,
    );
  };

  app.get('/:id', requireRole('compliance'), async (c) => {
    const id = z.uuid().safeParse(c.req.param('id'));
    return id.success ? page(c, id.data) : c.text('No such alert.', 404);
  });

  app.post('/:id/transitions', requireRole('compliance'), async (c) => {
    const id = z.uuid().safeParse(c.req.param('id'));
    if (!id.success) return c.text('No such alert.', 404);
    const body = z.object({ to: Status_, note: z.string().trim().max(2000).optional() }).safeParse(await c.req.parseBody());
    if (!body.success) return page(c, id.data, { kind: 'error', text: 'choose one of the actions; a note is at most 2000 characters' }, 400);
    try {
      const alert = await transitionAlert(db, deps.queue, id.data, { to: body.data.to, note: body.data.note || null, actor: c.get('actor') });
      if (!alert) return c.text('No such alert.', 404);
      return c.redirect(`/alerts/${alert.id}`, 303);
    } catch (error) {
      if (error instanceof TransitionError) return page(c, id.data, { kind: 'error', text: error.message }, 409);
      throw error;
    }
  });

  return app;
}
