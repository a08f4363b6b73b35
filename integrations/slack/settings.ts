/**
 * What a stored Slack connection holds: settings (plain) and credentials (encrypted at rest).
 * The connection reads channel history with a bot token, the "Bot User OAuth Token" (xoxb-…) from
 * the app's OAuth & Permissions page (https://docs.slack.dev/authentication/tokens#bot).
 */
import { z } from 'zod';

/** Public (C…) and legacy private (G…) channel ids, as Slack shows them under the channel's details. */
const ChannelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel id like "C0123ABCD" (channel details > About, at the bottom)');
const UserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id like "U0123ABCD"');

export const DEFAULT_API_URL = 'https://slack.com/api/';

export const SlackSettings = z.object({
  /** The channels whose threads are harvested, by id (names change, ids do not). */
  channels: z.array(ChannelId).min(1, 'list at least one channel id').max(500),
  /** The Web API root; a sandbox's is http://127.0.0.1:PORT/api/. */
  apiUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** A user group (S…) whose members answer as agents, e.g. @support-team. */
  agentUserGroup: z.string().regex(/^S[A-Z0-9]{2,}$/, 'a Slack user group id like "S0123ABCD"').optional(),
  /** More agents by user id, in addition to the group's members. */
  agentUserIds: z.array(UserId).optional(),
  /**
   * How far back, in days before the newest thread seen, later harvests look for threads with new
   * replies. 0 looks for new threads only. Default 90.
   */
  threadWindowDays: z.number().int().min(0).max(36_500).optional(),
  /**
   * Messages per conversations.history / conversations.replies call (Slack allows up to 999 and
   * recommends 200). Commercially distributed apps outside the Slack Marketplace are limited to 15
   * per call and one call a minute since 2025 (https://docs.slack.dev/apis/web-api/rate-limits).
   */
  pageSize: z.number().int().min(1).max(999).optional(),
});
export type SlackSettings = z.infer<typeof SlackSettings>;

export const SlackCredentials = z.object({
  type: z.literal('bot_token'),
  token: z.string().regex(/^xoxb-\S+$/, 'a bot token starts with "xoxb-" (OAuth & Permissions > Bot User OAuth Token)'),
});
export type SlackCredentials = z.infer<typeof SlackCredentials>;

/** @slack/web-api's slackApiUrl: the API root, ending in a slash. */
export function apiUrlFor(settings: Pick<SlackSettings, 'apiUrl'>): string {
  const url = settings.apiUrl ?? DEFAULT_API_URL;
  return url.endsWith('/') ? url : `${url}/`;
}
