/**
 * Incremental Case harvest by SystemModstamp, then each batch's EmailMessages and CaseComments.
 *
 * Cursor choice: a strict keyset on (SystemModstamp, Id), not an inclusive high-water mark.
 * Salesforce stores SystemModstamp to the second, so an import or a mass update gives hundreds of
 * cases the same value; with `SystemModstamp >= :mark` alone a batch full of one second would be
 * fetched again and again. `SystemModstamp > :mark OR (SystemModstamp = :mark AND Id > :lastId)`
 * with ORDER BY SystemModstamp, Id resumes exactly after the last case stored, and a case that
 * changes again later moves past the mark and comes back (the hub's upserts absorb that).
 * queryAll (not query) so cases moved to the recycle bin arrive as deleted.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_orderby.htm
 */
import { z } from 'zod';
import type { Conversation, HarvestBatch } from '../types.ts';
import type { SalesforceClient } from './client.ts';
import { toConversation } from './map.ts';
import { CASE_FIELDS, COMMENT_FIELDS, EMAIL_FIELDS, RawCase, RawCaseComment, RawEmailMessage } from './raw.ts';

export const SalesforceCursor = z.object({
  systemModstamp: z.iso.datetime(),
  lastId: z.string().regex(/^[a-zA-Z0-9]{18}$/),
});
export type SalesforceCursor = z.infer<typeof SalesforceCursor>;

/** Ids per `ParentId IN (...)`: ~5 KB of URL at 200, well under the REST API's 16 KB URI limit. */
const IN_CHUNK = 200;

/** A SOQL datetime literal, cut to whole seconds: cutting down can only repeat rows, never skip them. */
export function soqlDateTime(date: Date): string {
  return `${new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

function soqlId(id: string): string {
  if (!/^[a-zA-Z0-9]{15,18}$/.test(id)) throw new Error('not a Salesforce id');
  return `'${id}'`;
}

export function caseQuery(cursor: SalesforceCursor | null, since: Date | undefined, limit: number): string {
  let where = '';
  if (cursor) {
    const mark = soqlDateTime(new Date(cursor.systemModstamp));
    where = ` WHERE SystemModstamp > ${mark} OR (SystemModstamp = ${mark} AND Id > ${soqlId(cursor.lastId)})`;
  } else if (since) {
    where = ` WHERE SystemModstamp >= ${soqlDateTime(since)}`;
  }
  return `SELECT ${CASE_FIELDS.join(', ')} FROM Case${where} ORDER BY SystemModstamp ASC, Id ASC LIMIT ${limit}`;
}

function groupByParent<T extends { ParentId: string }>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.ParentId);
    if (group) group.push(row);
    else groups.set(row.ParentId, [row]);
  }
  return groups;
}

async function childrenOf<S extends z.ZodType<{ ParentId: string }>>(client: SalesforceClient, object: string, fields: readonly string[], schema: S, caseIds: string[], signal?: AbortSignal) {
  const rows: Array<z.infer<S>> = [];
  for (let i = 0; i < caseIds.length; i += IN_CHUNK) {
    const ids = caseIds.slice(i, i + IN_CHUNK).map(soqlId).join(', ');
    const soql = `SELECT ${fields.join(', ')} FROM ${object} WHERE ParentId IN (${ids}) ORDER BY CreatedDate ASC, Id ASC`;
    rows.push(...(await client.query(soql, schema, object, { signal })));
  }
  return groupByParent(rows);
}

export interface HarvestOptions {
  batchSize: number;
  since?: Date | undefined;
  signal?: AbortSignal | undefined;
}

export async function* harvestCases(client: SalesforceClient, start: SalesforceCursor | null, options: HarvestOptions): AsyncGenerator<HarvestBatch> {
  let cursor = start;
  for (;;) {
    options.signal?.throwIfAborted();
    const cases = await client.query(caseQuery(cursor, options.since, options.batchSize), RawCase, 'Case', { includeDeleted: true, signal: options.signal });
    if (cases.length === 0) return;
    const liveIds = cases.filter((c) => !c.IsDeleted).map((c) => c.Id);
    const emails = await childrenOf(client, 'EmailMessage', EMAIL_FIELDS, RawEmailMessage, liveIds, options.signal);
    const comments = await childrenOf(client, 'CaseComment', COMMENT_FIELDS, RawCaseComment, liveIds, options.signal);
    const conversations: Conversation[] = cases.map((c) => toConversation(c, emails.get(c.Id) ?? [], comments.get(c.Id) ?? []));

    const last = cases[cases.length - 1]!;
    const next: SalesforceCursor = { systemModstamp: last.SystemModstamp.toISOString(), lastId: last.Id };
    if (cursor && next.systemModstamp === cursor.systemModstamp && next.lastId === cursor.lastId) {
      throw new Error('Salesforce harvest made no progress: the Case query returned the cursor row again');
    }
    cursor = next;
    yield { conversations, cursor: { ...cursor } };
    if (cases.length < options.batchSize) return;
  }
}
