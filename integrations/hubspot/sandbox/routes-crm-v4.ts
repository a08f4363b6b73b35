/**
 * CRM associations v4 and ticket pipelines, as HubSpot answers them:
 * - POST /crm/v4/associations/{from}/{to}/batch/read (https://developers.hubspot.com/docs/api-reference/crm-associations-v4/batch/post-crm-v4-associations-fromObjectType-toObjectType-batch-read):
 *   up to 1,000 inputs; per input `from.id` and `to` (toObjectId as a number, association types),
 *   at most 500 of them with `paging.next.after` for the rest; ids it cannot find are left out and
 *   listed in `errors`, with status 207.
 * - GET /crm/v4/objects/{from}/{id}/associations/{to} (basic/get-crm-v4-objects-objectType-objectId-associations-toObjectType): the rest, 500 a page.
 * - GET /crm/v3/pipelines/tickets (https://developers.hubspot.com/docs/api/crm/pipelines): each
 *   stage's metadata.ticketState says OPEN or CLOSED.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { errorBody, missingScope } from './auth.ts';
import type { SandboxEnv, SandboxState } from './faults.ts';
import type { CrmObjectType, StoredObject } from './store.ts';

const BATCH_LIMIT = 1_000;
const PAGE = 500;
const READ_SCOPE: Record<CrmObjectType, string> = { tickets: 'tickets', emails: 'sales-email-read', notes: 'crm.objects.contacts.read', contacts: 'crm.objects.contacts.read', companies: 'crm.objects.companies.read' };
/** HUBSPOT_DEFINED association type ids from tickets (https://developers.hubspot.com/docs/api/crm/associations/v4). */
const TYPE_IDS: Partial<Record<CrmObjectType, number>> = { contacts: 16, companies: 26, emails: 224, notes: 228 };
const TYPES: readonly CrmObjectType[] = ['tickets', 'emails', 'notes', 'contacts', 'companies'];

const BatchInput = z.object({ inputs: z.array(z.object({ id: z.union([z.string(), z.number().transform(String)]), after: z.string().optional() })).max(BATCH_LIMIT, `at most ${BATCH_LIMIT} inputs per batch`) });

function objectType(value: string | undefined): CrmObjectType | null {
  return TYPES.find((type) => type === value) ?? null;
}

function associatedJson(type: CrmObjectType, id: string) {
  return { toObjectId: Number(id), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: TYPE_IDS[type] ?? 1, label: null }] };
}

export function crmV4Routes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>({ strict: false });
  const { store } = state;

  const types = (c: Context<SandboxEnv>): [CrmObjectType, CrmObjectType] | Response => {
    const from = objectType(c.req.param('from'));
    const to = objectType(c.req.param('to'));
    if (!from || !to) return c.json(errorBody('VALIDATION_ERROR', `Unknown object type ${from ? c.req.param('to') : c.req.param('from')}`), 400);
    const denied = missingScope(state.auth, READ_SCOPE[from]) ?? missingScope(state.auth, READ_SCOPE[to]);
    return denied ? c.json(denied, 403) : [from, to];
  };
  const page = (object: StoredObject, to: CrmObjectType, after: string | undefined) => {
    const ids = object.associations[to] ?? [];
    const start = after && /^\d+$/.test(after) ? Number(after) : 0;
    const next = start + PAGE;
    return { to: ids.slice(start, next).map((id) => associatedJson(to, id)), paging: next < ids.length ? { next: { after: String(next), link: null } } : undefined };
  };

  app.post('/associations/:from/:to/batch/read', async (c) => {
    const pair = types(c);
    if (pair instanceof Response) return pair;
    const [from, to] = pair;
    const parsed = BatchInput.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json(errorBody('VALIDATION_ERROR', parsed.error.issues[0]?.message ?? 'unreadable body'), 400);
    const startedAt = new Date().toISOString();
    const results: unknown[] = [];
    const missing: string[] = [];
    for (const input of parsed.data.inputs) {
      const object = store.objects[from].get(input.id);
      if (!object || object.archived) {
        missing.push(input.id);
        continue;
      }
      const { to: associated, paging } = page(object, to, input.after);
      results.push({ from: { id: object.id }, to: associated, ...(paging ? { paging } : {}) });
    }
    const errors = missing.length ? [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: `No ${from} found for ids`, context: { ids: missing }, errors: [], links: {} }] : [];
    return c.json({ status: 'COMPLETE', results, ...(errors.length ? { numErrors: errors.length, errors } : {}), startedAt, completedAt: new Date().toISOString() }, errors.length ? 207 : 200);
  });

  app.get('/objects/:from/:id/associations/:to', (c) => {
    const pair = types(c);
    if (pair instanceof Response) return pair;
    const [from, to] = pair;
    const object = store.objects[from].get(c.req.param('id'));
    if (!object || object.archived) return c.json(errorBody('OBJECT_NOT_FOUND', 'resource not found'), 404);
    const { to: results, paging } = page(object, to, c.req.query('after'));
    return c.json({ results, ...(paging ? { paging } : {}) });
  });

  return app;
}

export function pipelineRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>({ strict: false });
  app.get('/tickets', (c) => {
    const denied = missingScope(state.auth, 'tickets');
    if (denied) return c.json(denied, 403);
    const at = '2024-06-03T09:00:00.000Z';
    return c.json({
      results: state.store.pipelines.map((pipeline, order) => ({
        id: pipeline.id,
        label: pipeline.label,
        displayOrder: order,
        createdAt: at,
        updatedAt: at,
        archived: false,
        stages: pipeline.stages.map((stage, index) => ({ id: stage.id, label: stage.label, displayOrder: index, metadata: { ticketState: stage.closed ? 'CLOSED' : 'OPEN' }, createdAt: at, updatedAt: at, archived: false })),
      })),
    });
  });
  return app;
}
