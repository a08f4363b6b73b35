/**
 * GET /services/data/vXX.X/sobjects/{type}/describe
 * (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm):
 * each field's name, type, whether it can be set, and for picklists their values and whether the
 * picklist is restricted. A restricted picklist refuses any other value on create and update with
 * INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST (sobjects.ts asks `refusedPicklistValue`).
 * The sandbox org's Case Type values are the support categories its cases use (and Billing,
 * Other), restricted; Reason is open.
 */
import { Hono } from 'hono';
import { loadBitextRows } from '../../sandbox-kit/data.ts';
import { salesforceError } from './query.ts';
import { objectDef } from './schema.ts';

interface Picklist {
  values: string[];
  restricted: boolean;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();

let cached: Record<string, Record<string, Picklist>> | null = null;

function picklists(): Record<string, Record<string, Picklist>> {
  if (cached) return cached;
  const rows = loadBitextRows();
  cached = {
    Case: {
      Type: { values: [...new Set([...rows.map((row) => capitalize(row.category)), 'Billing', 'Other'])].sort(), restricted: true },
      Reason: { values: [...new Set(rows.map((row) => capitalize(row.intent.replace(/_/g, ' '))))].sort(), restricted: false },
      Priority: { values: ['High', 'Medium', 'Low'], restricted: true },
      Status: { values: ['New', 'Working', 'On Hold', 'Escalated', 'Closed'], restricted: true },
      Origin: { values: ['Email', 'Phone', 'Web'], restricted: false },
    },
    Task: {
      Status: { values: ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'], restricted: true },
      Priority: { values: ['High', 'Normal', 'Low'], restricted: true },
    },
  };
  return cached;
}

/** The error message when `value` is not allowed in a restricted picklist, else null. */
export function refusedPicklistValue(objectName: string, field: string, value: unknown): string | null {
  const picklist = picklists()[objectName]?.[field];
  if (!picklist?.restricted || typeof value !== 'string') return null;
  return picklist.values.includes(value) ? null : `bad value for restricted picklist field: ${value}`;
}

export function describeRoutes(): Hono {
  const app = new Hono({ strict: false });
  app.get('/:version/sobjects/:type/describe', (c) => {
    const object = objectDef(c.req.param('type'));
    if (!object) return salesforceError(c, 404, 'NOT_FOUND', `The requested resource does not exist`);
    const lists = picklists()[object.name] ?? {};
    return c.json({
      name: object.name,
      label: object.name,
      createable: true,
      updateable: true,
      fields: [...object.fields.values()].map((field) => {
        const picklist = lists[field.name];
        return {
          name: field.name,
          label: field.name,
          type: field.type,
          createable: field.createable,
          updateable: field.updateable,
          filterable: field.filterable,
          nillable: field.name !== 'Id',
          restrictedPicklist: picklist?.restricted ?? false,
          picklistValues: (picklist?.values ?? []).map((value) => ({ active: true, defaultValue: false, label: value, validFor: null, value })),
          referenceTo: field.referenceTo ?? [],
          relationshipName: field.relationshipName ?? null,
        };
      }),
    });
  });
  return app;
}
