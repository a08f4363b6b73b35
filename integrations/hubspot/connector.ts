/**
 * HubSpot for the hub: `hubspotConnector.create(settings, credentials, options)` builds a Connector
 * from a stored connection. Settings: `{ baseUrl? (default https://api.hubapi.com), portalId?,
 * ticketProperties?, pageSize? }`; credentials: `{ type: 'private_app', accessToken }` or
 * `{ type: 'oauth', accessToken, refreshToken?, clientId?, clientSecret? }`.
 * Harvests inbox threads (`thread:<id>`) and tickets (`ticket:<id>`); see harvest.ts.
 */
import { readAhead } from '../common/read-ahead.ts';
import type { RetryPolicy } from '../common/retry.ts';
import { VendorError, type Connector, type ConnectorFactory, type ConnectorOptions, type TestResult } from '../types.ts';
import { HubSpotApi } from './client.ts';
import { harvestHubSpot } from './harvest/harvest.ts';
import { OAuthTokenInfo, PrivateAppTokenInfo } from './schemas.ts';
import { HubSpotCredentials, HubSpotSettings, REQUIRED_SCOPES } from './settings.ts';

export { HubSpotCredentials, HubSpotSettings, REQUIRED_SCOPES } from './settings.ts';
export { HubSpotCursor } from './harvest/harvest.ts';
export { createTicketNote } from './notes.ts';

/** Records per list/search call: CRM search allows 200, and fewer pages are fewer calls. */
const DEFAULT_PAGE_SIZE = 200;
const DEFAULT_BATCH_SIZE = 100;
/** Batches a harvest prepares ahead of the hub: a whole export page's worth. */
const READ_AHEAD = 10;

export interface HubSpotConnectorOptions extends ConnectorOptions {
  /** Overrides the shared retry policy (tests shorten the backoff). */
  retryPolicy?: Partial<RetryPolicy>;
}

/** Which account a token belongs to and its scopes, in one call that changes nothing. */
async function tokenInfo(api: HubSpotApi): Promise<{ hubId: number; scopes: string[] }> {
  if (api.authKind === 'oauth') {
    // https://developers.hubspot.com/docs/api/oauth/tokens (GET /oauth/v1/access-tokens/{token})
    const info = await api.crm('check the access token', (apis, options) => apis.accessTokens.get(api.accessToken, options), OAuthTokenInfo, undefined, 1);
    return { hubId: info.hub_id, scopes: info.scopes };
  }
  // https://developers.hubspot.com/docs/api/private-apps (POST /oauth/v2/private-apps/get/access-token-info)
  const info = await api.conversations('check the access token', { method: 'POST', path: '/oauth/v2/private-apps/get/access-token-info', body: { tokenKey: api.accessToken } }, PrivateAppTokenInfo, undefined, 1);
  return { hubId: info.hubId, scopes: info.scopes };
}

export function createHubSpotConnector(settings: HubSpotSettings, credentials: HubSpotCredentials, options: HubSpotConnectorOptions = {}): Connector {
  const parsedSettings = HubSpotSettings.parse(settings);
  const api = new HubSpotApi(parsedSettings, HubSpotCredentials.parse(credentials), {
    retryPolicy: options.retryPolicy,
    log: options.log,
    onCredentialsRefreshed: options.onCredentialsRefreshed,
  });
  const harvestOptions = {
    pageSize: parsedSettings.pageSize ?? DEFAULT_PAGE_SIZE,
    batchSize: Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE),
    ticketProperties: parsedSettings.ticketProperties ?? [],
    since: options.since,
    log: options.log,
  };

  return {
    source: 'hubspot',
    // Up to READ_AHEAD batches prepared while the hub stores earlier ones (one vendor call at a time).
    harvest: (cursor, ctx) => readAhead(harvestHubSpot(api, cursor, harvestOptions, ctx), READ_AHEAD, ctx?.signal),

    async test(): Promise<TestResult> {
      try {
        const { hubId, scopes } = await tokenInfo(api);
        if (parsedSettings.portalId !== undefined && parsedSettings.portalId !== hubId) {
          return { ok: false, detail: `the token belongs to HubSpot account ${hubId}, not to the configured portal ${parsedSettings.portalId}` };
        }
        const missing = Object.keys(REQUIRED_SCOPES).filter((scope) => !scopes.includes(scope));
        if (missing.length) {
          const why = missing.map((scope) => `${scope} (${REQUIRED_SCOPES[scope]})`).join(', ');
          return { ok: false, detail: `connected to HubSpot account ${hubId} on ${api.host}, but missing scope ${why}: add it to the private app or reconnect the OAuth app with it` };
        }
        return { ok: true, detail: `connected to HubSpot account ${hubId} on ${api.host} with every scope the harvest needs` };
      } catch (error) {
        if (error instanceof VendorError) return { ok: false, detail: error.message };
        throw error;
      }
    },
  };
}

export const hubspotConnector: ConnectorFactory<typeof HubSpotSettings, typeof HubSpotCredentials> = {
  source: 'hubspot',
  settingsSchema: HubSpotSettings,
  credentialsSchema: HubSpotCredentials,
  create: (settings, credentials, options) => createHubSpotConnector(settings, credentials, options),
};
