/**
 * Harvest at the API's minimum: each page of Cases comes with its EmailMessages and CaseComments in
 * one SOQL query with parent-to-child subqueries (one call per 200 cases), and emails and comments
 * that changed without their Case changing are found by their own SystemModstamp, both objects in
 * one /composite call at the end of the run, their Cases read again 200 at a time. Each page asks
 * for one Case more than it keeps, so the last page is known without an empty query after it. For
 * a backfill of N cases: ⌈N/200⌉ + 1 composite + the login.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_using.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm
 *
 * Case cursor: a strict keyset on (SystemModstamp, Id), not an inclusive high-water mark.
 * Salesforce stores SystemModstamp to the second, so an import or a mass update gives hundreds of
 * cases the same value; with `SystemModstamp >= :mark` alone a batch full of one second would be
 * fetched again and again. `SystemModstamp > :mark OR (SystemModstamp = :mark AND Id > :lastId)`
 * with ORDER BY SystemModstamp, Id resumes exactly after the last case stored, and a case that
 * changes again later moves past the mark and comes back (the hub's upserts absorb that).
 * queryAll (not query) so cases moved to the recycle bin arrive as deleted.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_orderby.htm
 *
 * Child marks: an inclusive high-water mark per child object. A new email or comment does not
 * change its Case (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/system_fields.htm),
 * so they are scanned from their mark at the end of each run. A first run starts the marks a
 * minute before Salesforce's clock at its first answer: every Case it reads afterwards already has
 * its children as of then; the next marks are a minute before the scan, so a change still being
 * committed is not missed (repeats are no-ops).
 */
import { z } from 'zod';
import { VendorError, type Conversation, type HarvestBatch, type VendorLogger } from '../types.ts';
import type { SalesforceClient } from './client.ts';
import { attachEmailFiles } from './files.ts';
import { toConversation } from './map.ts';
import { CASE_FIELDS, COMMENT_FIELDS, EMAIL_FIELDS, ChangedChild, ChildQueryResult, CompositeAnswer, QueryPage, RawCase, RawCaseComment, RawEmailMessage } from './raw.ts';

const Mark = z.iso.datetime();
const ChildMarks = z.object({ emails: Mark, comments: Mark });
type ChildMarks = z.infer<typeof ChildMarks>;
const CaseKeyset = z.object({ systemModstamp: Mark, lastId: z.string().regex(/^[a-zA-Z0-9]{18}$/) });
type CaseKeyset = z.infer<typeof CaseKeyset>;
/** The case keyset (absent while no case was read) and where the scans of emails and comments by their own SystemModstamp resume. */
export const SalesforceCursor = z.union([CaseKeyset.extend({ children: ChildMarks.optional() }).strict(), z.object({ children: ChildMarks }).strict()]);
export type SalesforceCursor = z.infer<typeof SalesforceCursor>;

/** Ids per `Id IN (...)`: ~4 KB of URL at 200, with the field lists well under the REST API's 16 KB URI limit. */
const IN_CHUNK = 200;
/** A change may be committed with a SystemModstamp a little in the past: scans start this much earlier. */
const COMMIT_MARGIN_MS = 60_000;

/** A SOQL datetime literal, cut to whole seconds: cutting down can only repeat rows, never skip them. */
export function soqlDateTime(date: Date): string {
  return `${new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

function soqlId(id: string): string {
  if (!/^[a-zA-Z0-9]{15,18}$/.test(id)) throw new Error('not a Salesforce id');
  return `'${id}'`;
}

/** The Case fields and, per Case, its live emails and comments, oldest first. */
const SELECT = `SELECT ${CASE_FIELDS.join(', ')}, (SELECT ${EMAIL_FIELDS.join(', ')} FROM EmailMessages WHERE IsDeleted = false ORDER BY CreatedDate ASC, Id ASC), (SELECT ${COMMENT_FIELDS.join(', ')} FROM CaseComments WHERE IsDeleted = false ORDER BY CreatedDate ASC, Id ASC) FROM Case`;

export function caseQuery(cursor: CaseKeyset | null, since: Date | undefined, limit: number): string {
  let where = '';
  if (cursor) {
    const mark = soqlDateTime(new Date(cursor.systemModstamp));
    where = ` WHERE SystemModstamp > ${mark} OR (SystemModstamp = ${mark} AND Id > ${soqlId(cursor.lastId)})`;
  } else if (since) {
    where = ` WHERE SystemModstamp >= ${soqlDateTime(since)}`;
  }
  return `${SELECT}${where} ORDER BY SystemModstamp ASC, Id ASC LIMIT ${limit}`;
}

export interface HarvestOptions {
  /** Cases per query; with subqueries Salesforce answers at most 200 parent rows a page. */
  pageSize: number;
  /** Conversations per yielded batch (a page is cut into batches). */
  batchSize: number;
  since?: Date | undefined;
  signal?: AbortSignal | undefined;
  log?: VendorLogger | undefined;
}

const CaseWithChildren = RawCase.extend({ EmailMessages: ChildQueryResult.optional(), CaseComments: ChildQueryResult.optional() });

/** A subquery's records, following its nextRecordsUrl when a Case has more children than one answer holds. */
async function childRecords<S extends z.ZodType>(client: SalesforceClient, result: z.infer<typeof ChildQueryResult> | undefined, schema: S, what: string, signal?: AbortSignal): Promise<Array<z.infer<S>>> {
  const out: Array<z.infer<S>> = [];
  let page: { done: boolean; nextRecordsUrl?: string | undefined; records: unknown[] } | null | undefined = result;
  while (page) {
    for (const raw of page.records) {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw new VendorError('malformed', `Salesforce returned an unexpected ${what} record (${parsed.error.issues[0]?.message ?? 'invalid'})`);
      out.push(parsed.data);
    }
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall_more_results.htm
    page = page.done || !page.nextRecordsUrl ? null : await client.get(page.nextRecordsUrl, QueryPage, what, signal);
  }
  return out;
}

async function toConversations(client: SalesforceClient, records: Array<z.infer<typeof CaseWithChildren>>, signal?: AbortSignal, log?: VendorLogger): Promise<Conversation[]> {
  const conversations: Conversation[] = [];
  const withFiles: string[] = [];
  for (const record of records) {
    const { EmailMessages: emails, CaseComments: comments, ...raw } = record;
    if (raw.IsDeleted) {
      conversations.push(toConversation(raw, [], []));
      continue;
    }
    const emailRecords = await childRecords(client, emails, RawEmailMessage, 'EmailMessage', signal);
    for (const email of emailRecords) if (email.HasAttachment) withFiles.push(email.Id);
    conversations.push(toConversation(raw, emailRecords, await childRecords(client, comments, RawCaseComment, 'CaseComment', signal)));
  }
  await attachEmailFiles(client, withFiles, conversations, signal, log);
  return conversations;
}

function marksFrom(at: Date): ChildMarks {
  const mark = new Date(at.getTime() - COMMIT_MARGIN_MS).toISOString();
  return { emails: mark, comments: mark };
}

function later(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * The Cases whose emails or comments changed since the marks: EmailMessage and CaseComment by their
 * own SystemModstamp (queryAll: a deleted one changes its Case's messages too), in one composite call.
 */
async function changedParents(client: SalesforceClient, marks: ChildMarks, signal?: AbortSignal): Promise<Set<string>> {
  const base = `/services/data/v${client.apiVersion}`;
  const scan = (object: string, mark: string) => `${base}/queryAll?q=${encodeURIComponent(`SELECT Id, ParentId, SystemModstamp FROM ${object} WHERE SystemModstamp >= ${soqlDateTime(new Date(mark))} ORDER BY SystemModstamp ASC, Id ASC`)}`;
  const answer = await client.postRead(
    `${base}/composite`,
    { allOrNone: false, compositeRequest: [{ method: 'GET', url: scan('EmailMessage', marks.emails), referenceId: 'emails' }, { method: 'GET', url: scan('CaseComment', marks.comments), referenceId: 'comments' }] },
    CompositeAnswer,
    'composite (changed emails and comments)',
    signal,
  );
  const parents = new Set<string>();
  for (const sub of answer.compositeResponse) {
    if (sub.httpStatusCode !== 200) {
      const said = JSON.stringify(sub.body).slice(0, 200);
      throw new VendorError(sub.httpStatusCode >= 500 ? 'transient' : 'malformed', `Salesforce refused the ${sub.referenceId} scan inside the composite call (${sub.httpStatusCode}): ${said}`, { status: sub.httpStatusCode });
    }
    const page = QueryPage.safeParse(sub.body);
    if (!page.success) throw new VendorError('malformed', `Salesforce returned an unexpected ${sub.referenceId} scan inside the composite call`);
    for (const row of await childRecords(client, page.data, ChangedChild, sub.referenceId, signal)) parents.add(row.ParentId);
  }
  return parents;
}

export async function* harvestCases(client: SalesforceClient, start: SalesforceCursor | null, options: HarvestOptions): AsyncGenerator<HarvestBatch> {
  const { signal } = options;
  let cursor: CaseKeyset | null = start && 'systemModstamp' in start ? { systemModstamp: start.systemModstamp, lastId: start.lastId } : null;
  // Cursors written before the child scans existed resume them from the case mark.
  let marks: ChildMarks | null = start?.children ?? (cursor ? { emails: cursor.systemModstamp, comments: cursor.systemModstamp } : null);
  const withMarks = (at: CaseKeyset | null, children: ChildMarks | null): Record<string, unknown> => ({ ...(at ?? {}), ...(children ? { children } : {}) });
  const harvested = new Set<string>();

  for (;;) {
    signal?.throwIfAborted();
    const page = await client.query(caseQuery(cursor, options.since, options.pageSize + 1), CaseWithChildren, 'Case', { includeDeleted: true, signal });
    marks ??= marksFrom(client.serverTime ?? new Date());
    const more = page.length > options.pageSize;
    const kept = more ? page.slice(0, options.pageSize) : page;
    if (kept.length === 0) break;
    const first = kept[0]!;
    if (cursor && first.SystemModstamp.toISOString() === cursor.systemModstamp && first.Id === cursor.lastId) {
      throw new Error('Salesforce harvest made no progress: the Case query returned the cursor row again');
    }
    for (let at = 0; at < kept.length; at += options.batchSize) {
      const records = kept.slice(at, at + options.batchSize);
      const conversations = await toConversations(client, records, signal, options.log);
      for (const record of records) harvested.add(record.Id);
      const last = records[records.length - 1]!;
      cursor = { systemModstamp: last.SystemModstamp.toISOString(), lastId: last.Id };
      yield { conversations, cursor: withMarks(cursor, marks), requests: client.requests.take() };
    }
    if (!more) break;
  }

  // Emails and comments that changed on their own: read their Cases (with all their children) again.
  const scannedAt = client.serverTime ?? new Date();
  const parents = await changedParents(client, marks ?? marksFrom(scannedAt), signal);
  const fresh = marksFrom(scannedAt);
  const nextMarks: ChildMarks = marks ? { emails: later(marks.emails, fresh.emails), comments: later(marks.comments, fresh.comments) } : fresh;
  const ids = [...parents];
  options.log?.debug({ source: 'salesforce', cases: ids.length, alreadyHarvested: ids.filter((id) => harvested.has(id)).length }, 'cases whose emails or comments changed on their own');
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    const chunk = ids.slice(i, i + IN_CHUNK);
    const soql = `${SELECT} WHERE Id IN (${chunk.map(soqlId).join(', ')}) ORDER BY SystemModstamp ASC, Id ASC`;
    const records = await client.query(soql, CaseWithChildren, 'Case', { includeDeleted: true, signal });
    const lastChunk = i + IN_CHUNK >= ids.length;
    // The marks move on only with the last chunk: a resume before it scans the children again.
    yield { conversations: await toConversations(client, records, signal, options.log), cursor: withMarks(cursor, lastChunk ? nextMarks : marks), requests: client.requests.take() };
  }
  if (ids.length === 0) yield { conversations: [], cursor: withMarks(cursor, nextMarks), requests: client.requests.take() };
}
