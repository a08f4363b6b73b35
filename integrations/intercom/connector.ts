/**
 * Intercom for the hub: `intercomConnector.create(settings, credentials, options)` builds a
 * Connector from a stored connection. Settings: `{ region? | baseUrl?, adminId?, perPage? }`;
 * credentials: `{ type: 'access_token', accessToken }`.
 */
import { readAhead } from '../common/read-ahead.ts';
import type { RetryPolicy } from '../common/retry.ts';
import { VendorError, type Connector, type ConnectorFactory, type ConnectorOptions, type TestResult } from '../types.ts';
import { IntercomApi } from './client.ts';
import { harvestIntercom } from './harvest.ts';
import { Me } from './schemas.ts';
import { IntercomCredentials, IntercomSettings } from './settings.ts';

export { IntercomCredentials, IntercomSettings } from './settings.ts';
export { IntercomCursor } from './harvest.ts';

/** Intercom's maximum search page: fewer pages, fewer calls. */
const DEFAULT_PER_PAGE = 150;
const DEFAULT_BATCH_SIZE = 100;
/** Batches a harvest prepares ahead of the hub: a whole export page's worth. */
const READ_AHEAD = 10;
/**
 * Conversation reads at once. Intercom has no batch read, so one at a time leaves the harvest
 * waiting on round trips; 8 at once stay far inside a window (1,666 calls per 10 s, 5 % reserved).
 */
const READ_CONCURRENCY = 8;

export interface IntercomConnectorOptions extends ConnectorOptions {
  /** Overrides the shared retry policy (tests shorten the backoff). */
  retryPolicy?: Partial<RetryPolicy>;
  /** Conversation reads at once (default READ_CONCURRENCY). */
  readConcurrency?: number;
}

export function createIntercomConnector(settings: IntercomSettings, credentials: IntercomCredentials, options: IntercomConnectorOptions = {}): Connector {
  const parsedSettings = IntercomSettings.parse(settings);
  const api = new IntercomApi(parsedSettings, IntercomCredentials.parse(credentials), { retryPolicy: options.retryPolicy, log: options.log });
  const harvestOptions = {
    perPage: parsedSettings.perPage ?? DEFAULT_PER_PAGE,
    batchSize: Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE),
    readConcurrency: Math.max(1, options.readConcurrency ?? READ_CONCURRENCY),
    since: options.since,
    log: options.log,
  };

  return {
    source: 'intercom',
    // Up to READ_AHEAD batches prepared while the hub stores earlier ones (one batch's reads at a time).
    harvest: (cursor, ctx) => readAhead(harvestIntercom(api, cursor, harvestOptions, ctx), READ_AHEAD, ctx?.signal),

    // https://developers.intercom.com/docs/references/rest-api/api.intercom.io/admins/identifyadmin
    async test(): Promise<TestResult> {
      try {
        const me = await api.call('identify the token\'s admin', (client, callOptions) => client.admins.identify(callOptions), Me, undefined, 1);
        const workspace = me.app?.name ? ` in workspace "${me.app.name}"` : '';
        return { ok: true, detail: `connected to ${api.host} as ${me.name ?? 'admin'} (admin ${me.id})${workspace}` };
      } catch (error) {
        if (error instanceof VendorError) return { ok: false, detail: error.message };
        throw error;
      }
    },
  };
}

export const intercomConnector: ConnectorFactory<typeof IntercomSettings, typeof IntercomCredentials> = {
  source: 'intercom',
  settingsSchema: IntercomSettings,
  credentialsSchema: IntercomCredentials,
  create: (settings, credentials, options) => createIntercomConnector(settings, credentials, options),
};
