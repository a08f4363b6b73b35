/**
 * CRM objects v3 (https://developers.hubspot.com/docs/api/overview) for tickets, emails, notes, contacts and
 * companies: search, get by id (with `properties` and `associations`), batch read (200, or 207 with
 * errors for ids that do not exist), creating a note associated with a ticket, and the owners list.
 * Each object type needs its scope: tickets `tickets`, emails `sales-email-read`, notes and contacts
 * `crm.objects.contacts.read` (notes `.write` to create), companies `crm.objects.companies.read`.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { errorBody, missingScope } from './auth.ts';
import type { SandboxEnv, SandboxState } from './faults.ts';
import { objectJson, ownerJson } from './json.ts';
import { runSearch, SearchRequest } from './search.ts';
import type { CrmObjectType, StoredObject } from './store.ts';

const READ_SCOPE: Record<CrmObjectType, string> = {
  tickets: 'tickets',
  emails: 'sales-email-read',
  notes: 'crm.objects.contacts.read',
  contacts: 'crm.objects.contacts.read',
  companies: 'crm.objects.companies.read',
};
/** Properties HubSpot returns on every search result besides the requested ones. */
const ALWAYS = ['hs_object_id', 'createdate', 'hs_lastmodifieddate', 'lastmodifieddate'];
const BATCH_LIMIT = 100;
/** HUBSPOT_DEFINED association type id for note → ticket. */
const NOTE_TO_TICKET = 228;

const BatchRead = z.object({ inputs: z.array(z.object({ id: z.string() })).max(BATCH_LIMIT, `at most ${BATCH_LIMIT} inputs per batch`), properties: z.array(z.string()).default([]) });
const NoteInput = z.object({
  properties: z.record(z.string(), z.string().nullable()),
  associations: z.array(z.object({ to: z.object({ id: z.string() }), types: z.array(z.object({ associationCategory: z.string(), associationTypeId: z.number().int() })) })).default([]),
});

const TicketUpdate = z.object({ properties: z.record(z.string(), z.string().nullable()) });
/** hs_ticket_priority's options (an enumeration: other values are refused). */
const PRIORITY_OPTIONS = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'];
/** Every property some ticket has, plus HubSpot's standard ticket properties. */
function ticketPropertyNames(store: { objects: Record<CrmObjectType, Map<string, StoredObject>> }): Set<string> {
  const names = new Set(['subject', 'content', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_priority', 'hs_ticket_category', 'hubspot_owner_id', 'source_type', 'closed_date', 'support_intent', 'triage_confidence']);
  for (const ticket of store.objects.tickets.values()) for (const name of Object.keys(ticket.properties)) names.add(name);
  return names;
}

const OBJECT_TYPES: readonly CrmObjectType[] = ['tickets', 'emails', 'notes', 'contacts', 'companies'];

function objectType(value: string | undefined): CrmObjectType | null {
  return OBJECT_TYPES.find((type) => type === value) ?? null;
}

function listParam(c: Context<SandboxEnv>, name: string): string[] | null {
  const values = c.req.queries(name);
  return values ? values.flatMap((value) => value.split(',')).filter(Boolean) : null;
}

function validation(c: Context<SandboxEnv>, message: string) {
  return c.json(errorBody('VALIDATION_ERROR', message), 400);
}

export function crmRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>({ strict: false });
  const { store } = state;

  /** The object type of the path, after its scope check; a Response when refused. */
  const typeOf = (c: Context<SandboxEnv>, write = false): CrmObjectType | Response => {
    const type = objectType(c.req.param('objectType'));
    if (!type) return c.json(errorBody('OBJECT_NOT_FOUND', `Unknown object type ${c.req.param('objectType')}`), 404);
    const denied = missingScope(state.auth, write ? READ_SCOPE[type].replace(/\.read$/, '.write') : READ_SCOPE[type]);
    return denied ? c.json(denied, 403) : type;
  };

  // https://developers.hubspot.com/docs/api/crm/search
  app.post('/objects/:objectType/search', async (c) => {
    const type = typeOf(c);
    if (type instanceof Response) return type;
    const parsed = SearchRequest.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return validation(c, `Invalid input JSON on line 1: ${parsed.error.issues[0]?.message ?? 'unreadable body'}`);
    const outcome = runSearch(store.objects[type].values(), parsed.data, state.searchResultCap);
    if (!outcome.ok) return validation(c, outcome.message);
    const properties = parsed.data.properties.length ? [...new Set([...parsed.data.properties, ...ALWAYS])] : null;
    const results = outcome.results.map((object) => objectJson(object, { properties, missingFields: c.get('missingFields') }));
    if (type === 'tickets') for (const ticket of outcome.results.slice(0, state.faults.archiveAfterSearch)) ticket.archived = true;
    return c.json({ total: outcome.total, results, ...(outcome.nextAfter ? { paging: { next: { after: outcome.nextAfter } } } : {}) });
  });

  // https://developers.hubspot.com/docs/api/crm/understanding-the-crm#retrieve-a-record (batch read)
  app.post('/objects/:objectType/batch/read', async (c) => {
    const type = typeOf(c);
    if (type instanceof Response) return type;
    const parsed = BatchRead.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return validation(c, parsed.error.issues[0]?.message ?? 'unreadable body');
    const startedAt = new Date().toISOString();
    const found: StoredObject[] = [];
    const missing: string[] = [];
    for (const { id } of parsed.data.inputs) {
      const object = store.objects[type].get(id);
      if (object && !object.archived) found.push(object);
      else missing.push(id);
    }
    const properties = parsed.data.properties.length ? parsed.data.properties : null;
    const errors = missing.length
      ? [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not get some ${type.toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`, context: { ids: missing }, errors: [], links: {} }]
      : [];
    const body = {
      status: 'COMPLETE',
      results: found.map((object) => objectJson(object, { properties, missingFields: c.get('missingFields') })),
      ...(errors.length ? { numErrors: errors.length, errors } : {}),
      startedAt,
      completedAt: new Date().toISOString(),
    };
    return c.json(body, errors.length ? 207 : 200);
  });

  // https://developers.hubspot.com/docs/api/crm/notes#create-a-note
  app.post('/objects/:objectType', async (c) => {
    if (c.req.param('objectType') !== 'notes') return c.json(errorBody('VALIDATION_ERROR', 'The sandbox creates notes only.'), 400);
    const type = typeOf(c, true);
    if (type instanceof Response) return type;
    const parsed = NoteInput.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return validation(c, parsed.error.issues[0]?.message ?? 'unreadable body');
    const { properties, associations } = parsed.data;
    if (!properties.hs_timestamp || Number.isNaN(Date.parse(properties.hs_timestamp))) return validation(c, 'Property values were not valid: hs_timestamp is required');
    const tickets: StoredObject[] = [];
    for (const association of associations) {
      const ticket = store.objects.tickets.get(association.to.id);
      if (!ticket || !association.types.some((t) => t.associationTypeId === NOTE_TO_TICKET)) return validation(c, `Cannot associate the note with ${association.to.id}: only note_to_ticket (${NOTE_TO_TICKET}) with an existing ticket`);
      tickets.push(ticket);
    }
    const now = new Date();
    const id = store.allocateEngagementId();
    const note = store.putObject({ id, type: 'notes', properties: { hs_attachment_ids: null, ...properties, hs_object_id: id, createdate: now.toISOString(), hs_lastmodifieddate: now.toISOString() }, createdAt: now, updatedAt: now, archived: false, associations: {} });
    for (const ticket of tickets) {
      store.associate(ticket, note);
      // A new note moves the ticket's activity properties, and with them hs_lastmodifieddate.
      store.markModified(ticket, now);
    }
    return c.json(objectJson(note, { properties: Object.keys(note.properties), missingFields: false }), 201);
  });

  // https://developers.hubspot.com/docs/api/crm/tickets (update): only properties tickets have, enumeration options checked.
  app.patch('/objects/tickets/:objectId', async (c) => {
    const denied = missingScope(state.auth, 'tickets');
    if (denied) return c.json(denied, 403);
    const ticket = store.objects.tickets.get(c.req.param('objectId'));
    if (!ticket || ticket.archived) return c.json(errorBody('OBJECT_NOT_FOUND', 'resource not found'), 404);
    const parsed = TicketUpdate.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return validation(c, parsed.error.issues[0]?.message ?? 'unreadable body');
    const known = ticketPropertyNames(store);
    const errors: Record<string, unknown>[] = [];
    for (const [name, value] of Object.entries(parsed.data.properties)) {
      if (!known.has(name)) errors.push({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name });
      else if (name === 'hs_ticket_priority' && value !== null && !PRIORITY_OPTIONS.includes(value)) errors.push({ isValid: false, message: `${value} was not one of the allowed options: ${PRIORITY_OPTIONS.join(', ')}`, error: 'INVALID_OPTION', name });
      else if (name === 'hs_pipeline_stage' && value !== null && !store.pipelines.find((p) => p.id === ticket.properties.hs_pipeline)?.stages.some((stage) => stage.id === value)) errors.push({ isValid: false, message: `${value} is not a stage of pipeline ${ticket.properties.hs_pipeline}`, error: 'INVALID_OPTION', name });
    }
    if (errors.length) return c.json(errorBody('VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(errors)}`), 400);
    Object.assign(ticket.properties, parsed.data.properties);
    store.markModified(ticket, new Date());
    return c.json(objectJson(ticket, { properties: null, missingFields: false }));
  });

  // https://developers.hubspot.com/docs/api/crm/understanding-the-crm#retrieve-a-record
  app.get('/objects/:objectType/:objectId', (c) => {
    const type = typeOf(c);
    if (type instanceof Response) return type;
    const object = store.objects[type].get(c.req.param('objectId'));
    if (!object || object.archived !== (c.req.query('archived') === 'true')) return c.json(errorBody('OBJECT_NOT_FOUND', 'resource not found'), 404);
    return c.json(objectJson(object, { properties: listParam(c, 'properties'), associations: listParam(c, 'associations'), missingFields: c.get('missingFields') }));
  });

  // https://developers.hubspot.com/docs/api/crm/owners
  app.get('/owners', (c) => {
    const denied = missingScope(state.auth, 'crm.objects.owners.read');
    if (denied) return c.json(denied, 403);
    const limit = Math.min(Number(c.req.query('limit') ?? 100) || 100, 500);
    const offset = Number(c.req.query('after') ?? 0) || 0;
    const owners = [...store.owners.values()].sort((a, b) => Number(a.id) - Number(b.id));
    const next = offset + limit;
    return c.json({ results: owners.slice(offset, next).map(ownerJson), ...(next < owners.length ? { paging: { next: { after: String(next) } } } : {}) });
  });

  return app;
}
