/**
 * Slack for the hub: `slackConnector.create(settings, credentials, options)` builds a Connector
 * from a stored connection. Settings: `{ channels, apiUrl?, agentUserGroup?, agentUserIds?,
 * threadWindowDays?, pageSize? }`; credentials: `{ type: 'bot_token', token: 'xoxb-…' }`.
 * The bot needs channels:history (public channels) and/or groups:history (private ones),
 * users:read (users:read.email for authors' emails) and, with agentUserGroup, usergroups:read.
 */
import type { RetryPolicy } from '../common/retry.ts';
import { VendorError, type Connector, type ConnectorFactory, type ConnectorOptions, type TestResult } from '../types.ts';
import { SlackApi } from './client.ts';
import { harvestSlack } from './harvest.ts';
import { threadReader } from './threads.ts';
import { AuthTest } from './schemas.ts';
import { apiUrlFor, SlackCredentials, SlackSettings } from './settings.ts';

export { SlackCredentials, SlackSettings, apiUrlFor } from './settings.ts';
export { SlackCursor } from './harvest.ts';

const DEFAULT_BATCH_SIZE = 100;
/** Slack's recommended page size for conversations.history. */
const DEFAULT_PAGE_SIZE = 200;
const DEFAULT_THREAD_WINDOW_DAYS = 90;

export interface SlackConnectorOptions extends ConnectorOptions {
  /** Overrides the shared retry policy (tests shorten the backoff). */
  retryPolicy?: Partial<RetryPolicy>;
}

/** Scopes the configured harvest needs that the token's X-OAuth-Scopes header does not list. */
function missingScopes(scopes: readonly string[], settings: SlackSettings): string[] {
  const missing: string[] = [];
  if (!scopes.includes('channels:history') && !scopes.includes('groups:history')) missing.push('channels:history (or groups:history for private channels)');
  if (!scopes.includes('users:read')) missing.push('users:read');
  if (settings.agentUserGroup && !scopes.includes('usergroups:read')) missing.push('usergroups:read');
  return missing;
}

export function createSlackConnector(settings: SlackSettings, credentials: SlackCredentials, options: SlackConnectorOptions = {}): Connector {
  const parsedSettings = SlackSettings.parse(settings);
  const { token } = SlackCredentials.parse(credentials);
  const api = new SlackApi(apiUrlFor(parsedSettings), token, {
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const harvestOptions = {
    channels: parsedSettings.channels,
    agentUserGroup: parsedSettings.agentUserGroup,
    agentUserIds: parsedSettings.agentUserIds,
    threadWindowDays: parsedSettings.threadWindowDays ?? DEFAULT_THREAD_WINDOW_DAYS,
    pageSize: parsedSettings.pageSize ?? DEFAULT_PAGE_SIZE,
    batchSize: Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE),
    since: options.since,
    log: options.log,
  };

  return {
    source: 'slack',
    harvest: (cursor, ctx) => harvestSlack(api, cursor, harvestOptions, ctx),

    async fetchConversation(sourceId, signal) {
      const match = /^([CG][A-Z0-9]+):(\d+\.\d+)$/.exec(sourceId);
      if (!match?.[1] || !match[2]) throw new VendorError('not_found', `"${sourceId}" is not a Slack thread id (channel:ts)`);
      if (!parsedSettings.channels.includes(match[1])) return null;
      const reader = await threadReader(api, harvestOptions, signal);
      return reader.thread(match[1], match[2]);
    },

    // https://docs.slack.dev/reference/methods/auth.test
    async test(): Promise<TestResult> {
      try {
        const result = await api.once('auth.test', {}, AuthTest, { what: 'check the bot token (auth.test)' });
        const who = `connected to ${result.team} (${api.host}) as ${result.user}`;
        const scopes = result.response_metadata?.scopes;
        const missing = scopes ? missingScopes(scopes, parsedSettings) : [];
        if (missing.length > 0) return { ok: false, detail: `${who}, but the app lacks scopes: ${missing.join(', ')}. Add them under OAuth & Permissions > Bot Token Scopes and reinstall the app.` };
        return { ok: true, detail: who };
      } catch (error) {
        if (error instanceof VendorError) return { ok: false, detail: error.message };
        throw error;
      }
    },
  };
}

export const slackConnector: ConnectorFactory<typeof SlackSettings, typeof SlackCredentials> = {
  source: 'slack',
  settingsSchema: SlackSettings,
  credentialsSchema: SlackCredentials,
  create: (settings, credentials, options) => createSlackConnector(settings, credentials, options),
};
