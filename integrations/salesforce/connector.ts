/**
 * The Salesforce connector: what the hub builds from a stored connection.
 *   const connector = salesforceConnector.create(settings, credentials, { onCredentialsRefreshed, batchSize, since, log });
 */
import { readAhead } from '../common/read-ahead.ts';
import type { RetryPolicy } from '../common/retry.ts';
import { VendorError, type Connector, type ConnectorFactory, type ConnectorOptions, type Cursor, type HarvestContext, type TestResult } from '../types.ts';
import { SalesforceClient, type SalesforceClientOptions } from './client.ts';
import { toVendorError } from './errors.ts';
import { harvestCases, SalesforceCursor } from './harvest.ts';
import { Identity, Limits, Resources } from './raw.ts';
import { salesforceCredentialsSchema, salesforceSettingsSchema, type SalesforceCredentials, type SalesforceSettings } from './settings.ts';

export { salesforceCredentialsSchema, salesforceSettingsSchema, type SalesforceCredentials, type SalesforceSettings } from './settings.ts';
export { SalesforceCursor } from './harvest.ts';

export const DEFAULT_BATCH_SIZE = 200;
/** Cases per query: the most Salesforce answers in one page when a query has subqueries. */
const PAGE_SIZE = 200;
/** Batches a harvest prepares ahead of the hub. */
const READ_AHEAD = 10;

/** Knobs beyond ConnectorOptions, for tests and benchmarks (small retry delays, quick pacing). */
export interface SalesforceConnectorOptions extends ConnectorOptions {
  /** Cases per query (default and most: 200); tests shrink it to make more calls. */
  pageSize?: number;
  retryPolicy?: Partial<RetryPolicy>;
  slowDownAt?: SalesforceClientOptions['slowDownAt'];
  slowDownMs?: SalesforceClientOptions['slowDownMs'];
  requestTimeoutMs?: SalesforceClientOptions['requestTimeoutMs'];
}

function parseCursor(cursor: Cursor | null): SalesforceCursor | null {
  if (cursor === null) return null;
  const parsed = SalesforceCursor.safeParse(cursor);
  if (!parsed.success) throw new Error(`stored Salesforce cursor is invalid: ${parsed.error.issues[0]?.message ?? 'unknown shape'}`);
  return parsed.data;
}

export function createSalesforceConnector(settingsInput: SalesforceSettings, credentialsInput: SalesforceCredentials, options: SalesforceConnectorOptions = {}): Connector {
  const settings = salesforceSettingsSchema.parse(settingsInput);
  const credentials = salesforceCredentialsSchema.parse(credentialsInput);
  const batchSize = Math.max(1, Math.min(2000, options.batchSize ?? DEFAULT_BATCH_SIZE));
  // One client (one jsforce Connection) per connector: a renewed session carries over between harvests.
  const client = new SalesforceClient(settings, credentials, {
    onCredentialsRefreshed: options.onCredentialsRefreshed,
    log: options.log,
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    ...(options.slowDownAt !== undefined ? { slowDownAt: options.slowDownAt } : {}),
    ...(options.slowDownMs !== undefined ? { slowDownMs: options.slowDownMs } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });

  return {
    source: 'salesforce',

    harvest(cursor: Cursor | null, ctx: HarvestContext = {}) {
      // Up to READ_AHEAD batches prepared while the hub stores earlier ones (one vendor call at a time).
      return readAhead(harvestCases(client, parseCursor(cursor), { pageSize: Math.max(1, Math.min(PAGE_SIZE, options.pageSize ?? PAGE_SIZE)), batchSize, since: options.since, signal: ctx.signal, log: ctx.log ?? options.log }), READ_AHEAD, ctx.signal);
    },

    async test(): Promise<TestResult> {
      // One attempt, no retries: the person pressing "Test" wants the answer now.
      const once = { maxAttempts: 1 };
      const base = `/services/data/v${settings.apiVersion}`;
      try {
        await client.connect(undefined, once);
        // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm
        const limits = await client.get(`${base}/limits`, Limits, 'limits', undefined, once);
        const identityUrl = client.conn.userInfo?.url ?? (await client.get(base, Resources, 'resources', undefined, once)).identity;
        // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_openid.htm&type=5
        const identity = await client.get(`${identityUrl}?format=json`, Identity, 'identity', undefined, once);
        const used = limits.DailyApiRequests.Max - limits.DailyApiRequests.Remaining;
        return { ok: true, detail: `Connected to Salesforce org ${identity.organization_id} as ${identity.username}; API requests used today: ${used} of ${limits.DailyApiRequests.Max}` };
      } catch (error) {
        const vendorError = error instanceof VendorError ? error : toVendorError(error, { host: client.host });
        return { ok: false, detail: vendorError.message };
      }
    },
  };
}

export const salesforceConnector: ConnectorFactory<typeof salesforceSettingsSchema, typeof salesforceCredentialsSchema> = {
  source: 'salesforce',
  settingsSchema: salesforceSettingsSchema,
  credentialsSchema: salesforceCredentialsSchema,
  create: (settings, credentials, options) => createSalesforceConnector(settings, credentials, options),
};
