/** /audit: who did what, newest first, filterable by actor, action and subject; pages by id. Compliance only. */
import { and, desc, eq, ilike, lt, type SQL } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { auditEvents } from '../../db/schema/index.ts';
import { Empty, Field, When } from './components.tsx';
import { requireRole } from '../auth.ts';
import type { DashboardEnv } from './guard.ts';
import { Layout } from './layout.tsx';

const PAGE = 100;
const Filter = z.object({
  actor: z.string().trim().max(200).optional().transform((v) => v || undefined),
  action: z.string().trim().max(200).optional().transform((v) => v || undefined),
  subject: z.string().trim().max(200).optional().transform((v) => v || undefined),
  before: z.coerce.number().int().positive().optional().catch(undefined),
});

/** `%` and `_` typed into a filter are searched for, not used as wildcards. */
const literal = (value: string) => value.replace(/[\\%_]/g, (ch) => `\\${ch}`);

export function auditPages(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<DashboardEnv>();

  app.get('/', requireRole('compliance'), async (c) => {
    const parsed = Filter.safeParse(c.req.query());
    const filter = parsed.success ? parsed.data : { actor: undefined, action: undefined, subject: undefined, before: undefined };
    const where: SQL[] = [];
    if (filter.actor) where.push(ilike(auditEvents.actor, `%${literal(filter.actor)}%`));
    if (filter.action) where.push(ilike(auditEvents.action, `${literal(filter.action)}%`));
    if (filter.subject) where.push(eq(auditEvents.subjectId, filter.subject));
    if (filter.before) where.push(lt(auditEvents.id, filter.before));
    const rows = await db.select().from(auditEvents).where(where.length ? and(...where) : undefined).orderBy(desc(auditEvents.id)).limit(PAGE);
    const more = new URLSearchParams(Object.entries({ ...filter, before: rows.at(-1)?.id }).flatMap(([k, v]): Array<[string, string]> => (v === undefined ? [] : [[k, String(v)]])));
    return c.html(
      <Layout title="Audit log" session={c.get('session')} path="/audit">
        <form method="get" action="/audit" class="filters card">
          <Field name="actor" label="Who (contains)" value={filter.actor} placeholder="token:ops" />
          <Field name="action" label="Action (starts with)" value={filter.action} placeholder="alert." />
          <Field name="subject" label="Subject id" value={filter.subject} />
          <button type="submit" class="secondary">
            Filter
          </button>
        </form>
        <section class="card">
          {rows.length ? (
            <table>
              <thead>
                <tr>
                  <th>at</th>
                  <th>who</th>
                  <th>action</th>
                  <th>subject</th>
                  <th>details</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr>
                    <td>
                      <When at={row.at} />
                    </td>
                    <td>{row.actor}</td>
                    <td>{row.action}</td>
                    <td>
                      {row.subjectType} <code>{row.subjectId}</code>
                    </td>
                    <td>
                      <code>{JSON.stringify(row.details)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>Nothing recorded matches. Clear the filters to see everything.</Empty>
          )}
          {rows.length === PAGE ? <a href={`/audit?${more.toString()}`}>Older entries →</a> : null}
        </section>
      </Layout>,
    );
  });
  return app;
}
