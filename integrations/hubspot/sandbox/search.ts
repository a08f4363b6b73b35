/**
 * The CRM search the sandbox runs for POST /crm/v3/objects/{type}/search
 * (https://developers.hubspot.com/docs/api/crm/search): filterGroups ORed, filters inside a group
 * ANDed, every documented operator, one sort rule, `after` as an offset, at most 200 per page, and
 * no paging past the search cap (10,000): asking for it is a 400.
 *
 * HubSpot documents no order among records with equal sort values, so ties come back in an order
 * that has nothing to do with their ids: a client that assumes id order within a timestamp fails here.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { StoredObject } from './store.ts';

const DATETIME_PROPERTIES = new Set(['createdate', 'hs_lastmodifieddate', 'lastmodifieddate', 'closed_date', 'hs_timestamp', 'last_reply_date']);
const NUMBER_PROPERTIES = new Set(['hs_object_id', 'hubspot_owner_id', 'hs_created_by_user_id', 'associatedcompanyid']);

const Filter = z.object({
  propertyName: z.string().min(1),
  operator: z.enum(['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN']),
  value: z.union([z.string(), z.number()]).optional(),
  highValue: z.union([z.string(), z.number()]).optional(),
  values: z.array(z.union([z.string(), z.number()])).optional(),
});
type Filter = z.infer<typeof Filter>;

const Sort = z.union([z.string().min(1), z.object({ propertyName: z.string().min(1), direction: z.enum(['ASCENDING', 'DESCENDING']).default('ASCENDING') })]);

export const SearchRequest = z.object({
  filterGroups: z.array(z.object({ filters: z.array(Filter).max(10, 'a filter group holds at most 10 filters') })).max(5, 'at most 5 filter groups').default([]),
  sorts: z.array(Sort).max(1, 'only one sort rule can be applied to a search').default([]),
  properties: z.array(z.string()).default([]),
  limit: z.number().int().min(1).max(200, 'limit must be 200 or less').default(10),
  after: z.union([z.string(), z.number()]).optional(),
  query: z.string().optional(),
});
export type SearchRequest = z.infer<typeof SearchRequest>;

/** A property value as something comparable: epoch ms for datetimes, numbers for numbers. */
function comparable(property: string, value: string | number | null | undefined): number | string | null {
  if (value === null || value === undefined || value === '') return null;
  if (DATETIME_PROPERTIES.has(property)) {
    const text = String(value);
    return /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  }
  if (NUMBER_PROPERTIES.has(property)) return Number(value);
  return String(value).toLowerCase();
}

function compare(a: number | string, b: number | string): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

function matches(object: StoredObject, filter: Filter): boolean {
  const own = filter.propertyName === 'hs_object_id' ? object.id : object.properties[filter.propertyName];
  const actual = comparable(filter.propertyName, own);
  const value = comparable(filter.propertyName, filter.value);
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return actual !== null;
    case 'NOT_HAS_PROPERTY':
      return actual === null;
    case 'IN':
    case 'NOT_IN': {
      const inList = (filter.values ?? []).some((v) => actual !== null && compare(actual, comparable(filter.propertyName, v) ?? '') === 0);
      return filter.operator === 'IN' ? inList : !inList;
    }
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const pattern = new RegExp(`^${String(filter.value ?? '').toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      const has = String(own ?? '').toLowerCase().split(/[^a-z0-9@._*-]+/).some((token) => pattern.test(token));
      return filter.operator === 'CONTAINS_TOKEN' ? has : !has;
    }
    default:
      break;
  }
  if (actual === null || value === null) return filter.operator === 'NEQ' && actual !== value;
  const order = compare(actual, value);
  switch (filter.operator) {
    case 'EQ':
      return order === 0;
    case 'NEQ':
      return order !== 0;
    case 'LT':
      return order < 0;
    case 'LTE':
      return order <= 0;
    case 'GT':
      return order > 0;
    case 'GTE':
      return order >= 0;
    case 'BETWEEN': {
      const high = comparable(filter.propertyName, filter.highValue);
      return order >= 0 && high !== null && compare(actual, high) <= 0;
    }
  }
}

function tieOrder(id: string): string {
  return createHash('md5').update(id).digest('hex');
}

export type SearchOutcome = { ok: true; total: number; results: StoredObject[]; nextAfter: string | null } | { ok: false; message: string };

export function runSearch(objects: Iterable<StoredObject>, request: SearchRequest, cap: number): SearchOutcome {
  const offset = request.after === undefined ? 0 : Number(request.after);
  if (!Number.isInteger(offset) || offset < 0) return { ok: false, message: `Invalid after value: ${String(request.after)}` };
  if (offset + 1 > cap) return { ok: false, message: `Search results are limited to ${cap} records; narrow the filters instead of paging past them.` };

  const words = request.query?.toLowerCase().split(/\s+/).filter(Boolean) ?? [];
  const found = [...objects].filter(
    (object) =>
      !object.archived &&
      (request.filterGroups.length === 0 || request.filterGroups.some((group) => group.filters.every((filter) => matches(object, filter)))) &&
      words.every((word) => Object.values(object.properties).some((value) => value?.toLowerCase().includes(word))),
  );
  const sort = request.sorts[0];
  const rule = typeof sort === 'string' ? { propertyName: sort.replace(/^-/, ''), direction: sort.startsWith('-') ? 'DESCENDING' : 'ASCENDING' } : sort;
  if (rule) {
    const direction = rule.direction === 'DESCENDING' ? -1 : 1;
    const key = (object: StoredObject) => comparable(rule.propertyName, rule.propertyName === 'hs_object_id' ? object.id : object.properties[rule.propertyName]);
    const ties = new Map(found.map((object) => [object.id, tieOrder(object.id)]));
    found.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka === null || kb === null) return ka === kb ? 0 : ka === null ? 1 : -1;
      return direction * compare(ka, kb) || (ties.get(a.id) ?? '').localeCompare(ties.get(b.id) ?? '');
    });
  } else {
    found.sort((a, b) => Number(a.id) - Number(b.id));
  }
  // Paging stops at the cap: the last page's paging.next points past it, and following it is the 400 above.
  const end = Math.min(offset + request.limit, cap);
  return { ok: true, total: found.length, results: found.slice(offset, end), nextAfter: end < found.length ? String(end) : null };
}
