/**
 * The sandbox's query and queryAll resources: SOQL in `q`, pages of at most pageSize records, and
 * a `nextRecordsUrl` query locator ("01g…-2000") for the rest, as the REST API does.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall_more_results.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
 */
import { Hono, type Context } from 'hono';
import { KEY_PREFIXES, makeId } from './ids.ts';
import type { SalesforceStore } from './records.ts';
import { planQuery, type Row } from './soql-eval.ts';
import { SoqlError } from './soql.ts';

interface OpenCursor {
  rows: Row[];
  pageSize: number;
}

/** Salesforce keeps at most 10 open query cursors per user; opening an 11th drops the oldest. */
const MAX_OPEN_CURSORS = 10;

export function salesforceError(c: Context, status: 400 | 401 | 403 | 404 | 500 | 503, errorCode: string, message: string, fields?: string[]) {
  return c.json([{ message, errorCode, ...(fields ? { fields } : {}) }], status);
}

export function queryRoutes(store: SalesforceStore, pageSize: () => number): Hono {
  const app = new Hono({ strict: false });
  const cursors = new Map<string, OpenCursor>();
  let locatorCount = 0;

  const page = (c: Context, cursor: OpenCursor, locator: string | null, offset: number, version: string) => {
    const records = cursor.rows.slice(offset, offset + cursor.pageSize);
    const nextOffset = offset + records.length;
    const done = nextOffset >= cursor.rows.length;
    if (locator && done) cursors.delete(locator);
    let next = locator;
    if (!done && !next) {
      next = makeId(KEY_PREFIXES.QueryLocator, ++locatorCount);
      cursors.set(next, cursor);
      if (cursors.size > MAX_OPEN_CURSORS) cursors.delete(cursors.keys().next().value!);
    }
    return c.json({
      totalSize: cursor.rows.length,
      done,
      // Even for queryAll the locator URL says "query"; both resources accept it.
      ...(done ? {} : { nextRecordsUrl: `/services/data/${version}/query/${next}-${nextOffset}` }),
      records,
    });
  };

  /** Sforce-Query-Options: batchSize=n asks for pages of n records, 200 to 2,000. */
  const batchSize = (c: Context): number => {
    const requested = /batchSize=(\d+)/i.exec(c.req.header('Sforce-Query-Options') ?? '')?.[1];
    const size = requested ? Math.min(2000, Math.max(200, Number(requested))) : 2000;
    return Math.min(size, pageSize());
  };

  for (const endpoint of ['query', 'queryAll'] as const) {
    app.get(`/:version/${endpoint}`, (c) => {
      const soql = c.req.query('q');
      const version = c.req.param('version');
      if (c.req.query('explain')) return salesforceError(c, 400, 'MALFORMED_QUERY', 'explain is not supported by this sandbox');
      if (!soql) return salesforceError(c, 400, 'MALFORMED_QUERY', 'A query string has to be specified');
      let rows: Row[];
      try {
        rows = planQuery(soql).run(store, { includeDeleted: endpoint === 'queryAll', apiVersion: version.slice(1) });
      } catch (error) {
        if (error instanceof SoqlError) return salesforceError(c, 400, error.errorCode, error.message);
        throw error;
      }
      return page(c, { rows, pageSize: batchSize(c) }, null, 0, version);
    });

    app.get(`/:version/${endpoint}/:locator`, (c) => {
      const match = /^(01g[A-Za-z0-9]{15})-(\d+)$/.exec(c.req.param('locator'));
      const cursor = match ? cursors.get(match[1]!) : undefined;
      if (!match || !cursor) return salesforceError(c, 400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      const offset = Number(match[2]);
      if (offset > cursor.rows.length) return salesforceError(c, 400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      return page(c, cursor, match[1]!, offset, c.req.param('version'));
    });
  }
  return app;
}
