/**
 * The sandbox's sObject rows: read one record, create a record (CaseComment drafts, compliance
 * Tasks), update a record (Case Type / Reason / Priority from triage), with Salesforce's error
 * bodies for unknown fields, read-only fields, missing required fields and bad references.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_create.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm
 */
import { Hono, type Context } from 'hono';
import { isIdLike } from './ids.ts';
import type { SalesforceStore } from './records.ts';
import { objectDef, type FieldDef, type ObjectDef } from './schema.ts';
import { project, type Row } from './soql-eval.ts';
import { refusedPicklistValue } from './describe.ts';
import { salesforceError } from './query.ts';

const REQUIRED: Record<string, string[]> = { CaseComment: ['ParentId'], EmailMessage: ['ParentId'] };
const DEFAULTS: Record<string, (userId: string) => Row> = {
  Task: (userId) => ({ Status: 'Not Started', Priority: 'Normal', OwnerId: userId, IsClosed: false }),
  CaseComment: () => ({ IsPublished: false }),
  Case: (userId) => ({ Status: 'New', Priority: 'Medium', OwnerId: userId, IsClosed: false }),
};

class FieldError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }
}

function convert(store: SalesforceStore, field: FieldDef, value: unknown): unknown {
  if (value === null) return null;
  const mismatch = () => new FieldError('JSON_PARSER_ERROR', `Cannot deserialize instance of ${field.type} from ${typeof value} value ${JSON.stringify(value)} or request may be missing a required field`);
  switch (field.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw mismatch();
      return value;
    case 'datetime':
    case 'date': {
      const ms = typeof value === 'string' ? Date.parse(field.type === 'date' ? `${value}T00:00:00Z` : value) : Number.NaN;
      if (Number.isNaN(ms)) throw mismatch();
      return ms;
    }
    case 'reference': {
      if (typeof value !== 'string' || !isIdLike(value)) throw new FieldError('MALFORMED_ID', `${field.name}: id value of incorrect type: ${String(value)}`, [field.name]);
      const target = store.get(value);
      if (!target || !field.referenceTo?.includes(target.objectName)) {
        throw new FieldError('FIELD_INTEGRITY_EXCEPTION', `${field.name}: id value of incorrect type: ${value}`, [field.name]);
      }
      return target.row.Id;
    }
    default:
      if (typeof value !== 'string') throw mismatch();
      return value;
  }
}

function readBody(store: SalesforceStore, object: ObjectDef, body: unknown, mode: 'create' | 'update'): Row {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new FieldError('JSON_PARSER_ERROR', 'The request body must be a JSON object');
  const row: Row = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === 'attributes') continue;
    const field = object.fields.get(name.toLowerCase());
    if (!field) throw new FieldError('INVALID_FIELD', `No such column '${name}' on sobject of type ${object.name}`);
    if (mode === 'create' ? !field.createable : !field.updateable) {
      throw new FieldError('INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, [field.name]);
    }
    row[field.name] = convert(store, field, value);
    const refused = refusedPicklistValue(object.name, field.name, row[field.name]);
    if (refused) throw new FieldError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${field.name}: ${refused}`, [field.name]);
  }
  return row;
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

export function sobjectRoutes(store: SalesforceStore, currentUserId: (c: Context) => string): Hono {
  const app = new Hono({ strict: false });

  const lookup = (c: Context) => {
    const object = objectDef(c.req.param('type') ?? '');
    const found = object ? store.get(c.req.param('id') ?? '') : undefined;
    if (!object || !found || found.objectName !== object.name) return { ok: false as const, error: salesforceError(c, 404, 'NOT_FOUND', 'The requested resource does not exist') };
    if (found.row.IsDeleted === true) return { ok: false as const, error: salesforceError(c, 404, 'ENTITY_IS_DELETED', 'entity is deleted') };
    return { ok: true as const, object, row: found.row };
  };

  const answerFieldError = (c: Context, error: unknown) => {
    if (error instanceof FieldError) return salesforceError(c, 400, error.errorCode, error.message, error.fields);
    throw error;
  };

  app.get('/:version/sobjects/:type/:id', (c) => {
    const found = lookup(c);
    if (!found.ok) return found.error;
    const requested = c.req.query('fields')?.split(',').map((f) => f.trim()).filter(Boolean);
    const fields = requested ?? [...found.object.fields.values()].map((f) => f.name);
    const select: Array<{ references: FieldDef[]; field: FieldDef }> = [];
    for (const name of fields) {
      const field = found.object.fields.get(name.toLowerCase());
      if (!field) return salesforceError(c, 400, 'INVALID_FIELD', `No such column '${name}' on entity '${found.object.name}'.`);
      select.push({ references: [], field });
    }
    return c.json(project(found.row, found.object.name, select, store, c.req.param('version').slice(1)));
  });

  app.post('/:version/sobjects/:type', async (c) => {
    const object = objectDef(c.req.param('type'));
    if (!object || object.name === 'User') return salesforceError(c, 404, 'NOT_FOUND', 'The requested resource does not exist');
    try {
      const row = { ...DEFAULTS[object.name]?.(currentUserId(c)), ...readBody(store, object, await jsonBody(c), 'create') };
      const missing = (REQUIRED[object.name] ?? []).filter((name) => row[name] === undefined || row[name] === null);
      if (missing.length > 0) throw new FieldError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
      const created = store.insert(object.name, row, store.stamp(), currentUserId(c));
      return c.json({ id: created.Id, success: true, errors: [] }, 201);
    } catch (error) {
      return answerFieldError(c, error);
    }
  });

  app.patch('/:version/sobjects/:type/:id', async (c) => {
    const found = lookup(c);
    if (!found.ok) return found.error;
    try {
      store.update(String(found.row.Id), readBody(store, found.object, await jsonBody(c), 'update'), currentUserId(c));
      return c.body(null, 204);
    } catch (error) {
      return answerFieldError(c, error);
    }
  });

  return app;
}
