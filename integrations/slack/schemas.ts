/**
 * Raw Slack shapes, as documented in the Web API spec (https://github.com/slackapi/slack-api-specs (web-api/slack_web_openapi_v2.json):
 * objs_message, objs_user, objs_file and the methods' success schemas): only the fields tuneloop
 * reads, strict where we depend on a field and lenient (nullish) where Slack may leave it out.
 * Every answer is parsed with these before anything else touches it.
 */
import { z } from 'zod';
import { SlackTs } from './timestamps.ts';

export const SlackFile = z.object({
  id: z.string(),
  name: z.string().nullish(),
  title: z.string().nullish(),
  /** "tombstone" for deleted files, "hidden_by_limit" past a free plan's limit: no name then. */
  mode: z.string().nullish(),
  mimetype: z.string().nullish(),
  size: z.number().nullish(),
  /** The file's bytes, fetched with the bot token (files:read): https://docs.slack.dev/reference/objects/file-object */
  url_private: z.string().nullish(),
  url_private_download: z.string().nullish(),
  /** A link to a file kept elsewhere (Google Drive, …): Slack holds no bytes for it. */
  is_external: z.boolean().nullish(),
});

export const SlackMessage = z.object({
  type: z.string(),
  subtype: z.string().nullish(),
  ts: SlackTs,
  user: z.string().nullish(),
  bot_id: z.string().nullish(),
  username: z.string().nullish(),
  bot_profile: z.object({ name: z.string().nullish() }).nullish(),
  text: z.string().nullish(),
  thread_ts: SlackTs.nullish(),
  reply_count: z.number().int().nullish(),
  latest_reply: SlackTs.nullish(),
  edited: z.object({ user: z.string().nullish(), ts: SlackTs }).nullish(),
  files: z.array(SlackFile).nullish(),
  hidden: z.boolean().nullish(),
});
export type SlackMessage = z.infer<typeof SlackMessage>;

const Paging = z.object({ next_cursor: z.string().nullish() }).nullish();

/** conversations.history and conversations.replies */
export const MessagesPage = z.object({
  messages: z.array(SlackMessage),
  has_more: z.boolean().nullish(),
  response_metadata: Paging,
});
export type MessagesPage = z.infer<typeof MessagesPage>;

export const SlackUser = z.object({
  id: z.string(),
  team_id: z.string().nullish(),
  name: z.string().nullish(),
  real_name: z.string().nullish(),
  deleted: z.boolean().nullish(),
  is_bot: z.boolean().nullish(),
  locale: z.string().nullish(),
  profile: z
    .object({
      real_name: z.string().nullish(),
      display_name: z.string().nullish(),
      /** Only for tokens with users:read.email. */
      email: z.string().nullish(),
    })
    .nullish(),
});
export type SlackUser = z.infer<typeof SlackUser>;

/** users.info */
export const UserInfo = z.object({ user: SlackUser });

/** usergroups.users.list */
export const UserGroupMembers = z.object({ users: z.array(z.string()) });

/** auth.test; @slack/web-api adds the X-OAuth-Scopes header as response_metadata.scopes. */
export const AuthTest = z.object({
  url: z.string(),
  team: z.string(),
  team_id: z.string(),
  user: z.string(),
  user_id: z.string(),
  bot_id: z.string().nullish(),
  response_metadata: z.object({ scopes: z.array(z.string()).nullish() }).nullish(),
});

/** The body of an {ok: false} answer, as @slack/web-api keeps it on WebAPIPlatformError.data. */
export const SlackErrorBody = z.object({
  error: z.unknown(),
  needed: z.string().nullish(),
  provided: z.string().nullish(),
  response_metadata: z.object({ messages: z.array(z.string()).nullish() }).nullish(),
});
