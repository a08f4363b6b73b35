/**
 * The hub's Slack app, when it is configured: a bot token and either a signing secret (HTTP mode:
 * Slack calls `POST /slack/events`) or an app-level token (Socket Mode: the hub connects out).
 */
import { slackApp } from '../../integrations/registry.ts';
import type { SlackApp } from '../../integrations/types.ts';
import type { HubDeps } from '../deps.ts';
import { slackHandlers } from './handlers.ts';

export function slackAppFor(deps: HubDeps, mode: 'http' | 'socket'): SlackApp | null {
  const { SLACK_BOT_TOKEN: botToken, SLACK_SIGNING_SECRET: signingSecret, SLACK_APP_TOKEN: appToken, SLACK_API_URL: apiUrl } = deps.config;
  if (!botToken) return null;
  if (mode === 'socket' && !appToken) return null;
  if (mode === 'http' && (appToken || !signingSecret)) return null;
  return slackApp({
    botToken,
    ...(mode === 'http' ? { signingSecret } : { appToken }),
    apiUrl,
    handlers: slackHandlers(deps),
    log: deps.log.child({ module: 'slack-app' }),
  });
}
