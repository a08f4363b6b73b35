/** What every Slack listener of the hub gets: the hub's dependencies, the Slack client, the permissions. */
import type { SlackAppClient } from '../../integrations/types.ts';
import type { HubDeps } from '../deps.ts';
import type { SlackPermissions } from './permissions.ts';

export interface SlackContext {
  deps: HubDeps;
  slack: SlackAppClient;
  permissions: SlackPermissions;
}

/** How the audit trail and the registry name a Slack user. */
export function slackActor(userId: string): string {
  return `slack:${userId}`;
}

/** Slack mrkdwn: &, < and > must be escaped in text that comes from outside. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function ago(date: Date | null | undefined, now = Date.now()): string {
  if (!date) return 'never';
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 90) return `${seconds}s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 129_600) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}
