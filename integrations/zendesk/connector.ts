/**
 * Zendesk for the hub: `zendeskConnector.create(settings, credentials, options)` builds a Connector
 * from a stored connection. Settings: `{ subdomain?, baseUrl?, perPage? }` (one of subdomain/baseUrl);
 * credentials: `{ type: 'api_token', email, token }` or `{ type: 'oauth', accessToken }`.
 */
import { readAhead } from '../common/read-ahead.ts';
import type { RetryPolicy } from '../common/retry.ts';
import { VendorError, type Connector, type ConnectorFactory, type ConnectorOptions, type TestResult } from '../types.ts';
import { ZendeskApi } from './client.ts';
import { harvestZendesk } from './harvest.ts';
import { CurrentUser } from './schemas.ts';
import { ZendeskCredentials, ZendeskSettings } from './settings.ts';

export { ZendeskCredentials, ZendeskSettings, endpointUriFor } from './settings.ts';
export { ZendeskCursor } from './harvest.ts';

/** Zendesk's default and maximum export page. Fewer calls matter: the export allows 10 a minute. */
const DEFAULT_PER_PAGE = 1000;
const DEFAULT_BATCH_SIZE = 100;
/** Batches a harvest prepares ahead of the hub: a whole export page's worth. */
const READ_AHEAD = 10;

export interface ZendeskConnectorOptions extends ConnectorOptions {
  /** Overrides the shared retry policy (tests shorten the backoff). */
  retryPolicy?: Partial<RetryPolicy>;
}

export function createZendeskConnector(settings: ZendeskSettings, credentials: ZendeskCredentials, options: ZendeskConnectorOptions = {}): Connector {
  const parsedSettings = ZendeskSettings.parse(settings);
  const api = new ZendeskApi(parsedSettings, ZendeskCredentials.parse(credentials), {
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const harvestOptions = {
    perPage: parsedSettings.perPage ?? DEFAULT_PER_PAGE,
    batchSize: Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE),
    since: options.since,
    log: options.log,
  };

  return {
    source: 'zendesk',
    // Up to READ_AHEAD batches prepared while the hub stores earlier ones (one vendor call at a time).
    harvest: (cursor, ctx) => readAhead(harvestZendesk(api, cursor, harvestOptions, ctx), READ_AHEAD, ctx?.signal),

    // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-self
    async test(): Promise<TestResult> {
      try {
        const { user } = await api.getOnce('read the signed-in user', ['users', 'me'], CurrentUser);
        if (user.id === null) return { ok: false, detail: `${api.host} answered as if no one signed in: check the credentials` };
        if (user.role === 'admin') return { ok: true, detail: `connected to ${api.host} as ${user.name} (admin)` };
        return {
          ok: false,
          detail: `connected to ${api.host} as ${user.name}, but as ${user.role === 'agent' ? 'an agent' : `an ${user.role}`}: the incremental ticket export needs a Zendesk admin`,
        };
      } catch (error) {
        if (error instanceof VendorError) return { ok: false, detail: error.message };
        throw error;
      }
    },
  };
}

export const zendeskConnector: ConnectorFactory<typeof ZendeskSettings, typeof ZendeskCredentials> = {
  source: 'zendesk',
  settingsSchema: ZendeskSettings,
  credentialsSchema: ZendeskCredentials,
  create: (settings, credentials, options) => createZendeskConnector(settings, credentials, options),
};
