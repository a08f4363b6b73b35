/**
 * The conversations search the sandbox runs for POST /conversations/search
 * (https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/searchconversations):
 * a single filter or an AND/OR of filters (nested at most twice, 15 per group) on id, created_at,
 * updated_at, state and open; the documented operators for those types; the `sort` of
 * https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination-sorting-search
 * (default updated_at descending); `per_page` up to 150 and `starting_after`, an opaque keyset
 * cursor: base64 of [sort value, id].
 */
import { z } from 'zod';
import type { StoredConversation } from './store.ts';

const FIELDS = ['id', 'created_at', 'updated_at', 'state', 'open'] as const;
type Field = (typeof FIELDS)[number];

const Single = z.object({ field: z.string(), operator: z.enum(['=', '!=', 'IN', 'NIN', '>', '<', '~', '!~', '^', '$']), value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()])), z.null()]) });
type Single = z.infer<typeof Single>;
interface Group {
  operator: 'AND' | 'OR';
  value: Array<Single | Group>;
}
const GroupSchema: z.ZodType<Group> = z.lazy(() => z.object({ operator: z.enum(['AND', 'OR']), value: z.array(z.union([Single, GroupSchema])).min(1).max(15) }));

export const SearchBody = z.object({
  query: z.union([Single, GroupSchema]),
  sort: z.object({ field: z.enum(FIELDS), order: z.enum(['ascending', 'descending']) }).optional(),
  pagination: z.object({ per_page: z.number().int().optional(), starting_after: z.string().nullish() }).optional(),
});
export type SearchBody = z.infer<typeof SearchBody>;

function value(conversation: StoredConversation, field: Field): string | number | boolean {
  switch (field) {
    case 'id':
      return conversation.id;
    case 'created_at':
      return conversation.createdAt;
    case 'updated_at':
      return conversation.updatedAt;
    case 'state':
      return conversation.state;
    case 'open':
      return conversation.state !== 'closed';
  }
}

function depth(query: Single | Group): number {
  return 'field' in query ? 0 : 1 + Math.max(...query.value.map(depth));
}

function check(query: Single | Group): string | null {
  if (!('field' in query)) {
    for (const inner of query.value) {
      const problem = check(inner);
      if (problem) return problem;
    }
    return null;
  }
  if (!(FIELDS as readonly string[]).includes(query.field)) return `The field "${query.field}" is not searchable in the sandbox`;
  const numeric = query.field === 'created_at' || query.field === 'updated_at';
  if ((query.operator === '>' || query.operator === '<') && !numeric) return `The operator ${query.operator} needs a number or date field`;
  if (numeric && query.operator !== 'IN' && query.operator !== 'NIN' && !/^\d+$/.test(String(query.value))) return `The value of ${query.field} must be a UNIX timestamp`;
  return null;
}

function matches(conversation: StoredConversation, query: Single | Group): boolean {
  if (!('field' in query)) return query.operator === 'AND' ? query.value.every((inner) => matches(conversation, inner)) : query.value.some((inner) => matches(conversation, inner));
  const actual = value(conversation, query.field as Field);
  const wanted = query.value;
  const numeric = typeof actual === 'number';
  const cast = (v: unknown) => (numeric ? Number(v) : typeof actual === 'boolean' ? String(v) === 'true' : String(v));
  switch (query.operator) {
    case '=':
      return actual === cast(wanted);
    case '!=':
      return actual !== cast(wanted);
    case 'IN':
      return Array.isArray(wanted) && wanted.some((v) => actual === cast(v));
    case 'NIN':
      return Array.isArray(wanted) && !wanted.some((v) => actual === cast(v));
    case '>':
      return Number(actual) > Number(wanted);
    case '<':
      return Number(actual) < Number(wanted);
    default:
      return String(actual).includes(String(wanted));
  }
}

function encode(key: [number | string, string]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64');
}

function decode(cursor: string): [number | string, string] | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && (typeof parsed[0] === 'number' || typeof parsed[0] === 'string') && typeof parsed[1] === 'string') return [parsed[0], parsed[1]];
  } catch {
    // fall through
  }
  return null;
}

export type SearchOutcome = { ok: true; results: StoredConversation[]; total: number; next: string | null; perPage: number; page: number } | { ok: false; status: 400; code: string; message: string };

export function runSearch(conversations: Iterable<StoredConversation>, body: SearchBody): SearchOutcome {
  if (depth(body.query) > 2) return { ok: false, status: 400, code: 'parameter_invalid', message: 'There is a limit of max 2 nested filters' };
  const problem = check(body.query);
  if (problem) return { ok: false, status: 400, code: 'parameter_invalid', message: problem };
  const perPage = body.pagination?.per_page ?? 20;
  if (perPage < 1 || perPage > 150) return { ok: false, status: 400, code: 'parameter_invalid', message: 'per_page must be between 1 and 150' };
  const sort = body.sort ?? { field: 'updated_at', order: 'descending' };
  const direction = sort.order === 'ascending' ? 1 : -1;
  const key = (conversation: StoredConversation): [number | string, string] => {
    const v = value(conversation, sort.field);
    return [typeof v === 'boolean' ? String(v) : v, conversation.id];
  };
  const compare = (a: [number | string, string], b: [number | string, string]) => {
    const first = typeof a[0] === 'number' && typeof b[0] === 'number' ? a[0] - b[0] : String(a[0]).localeCompare(String(b[0]));
    return direction * (first || Number(a[1]) - Number(b[1]) || a[1].localeCompare(b[1]));
  };
  const all = [...conversations].filter((conversation) => matches(conversation, body.query)).sort((a, b) => compare(key(a), key(b)));
  let from = 0;
  const after = body.pagination?.starting_after;
  if (after) {
    const position = decode(after);
    if (!position) return { ok: false, status: 400, code: 'parameter_invalid', message: 'starting_after is not a valid cursor' };
    from = all.findIndex((conversation) => compare(key(conversation), position) > 0);
    if (from < 0) from = all.length;
  }
  const results = all.slice(from, from + perPage);
  const last = results.at(-1);
  const more = from + perPage < all.length;
  return { ok: true, results, total: all.length, next: more && last ? encode(key(last)) : null, perPage, page: Math.floor(from / perPage) + 1 };
}
