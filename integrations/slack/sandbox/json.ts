/**
 * The sandbox's records as Slack's Web API writes them (objs_message, objs_user, objs_file and
 * objs_conversation in https://github.com/slackapi/slack-api-specs (web-api/slack_web_openapi_v2.json); field lists checked against
 * https://github.com/slackapi/slack-api-specs (web-api/samples)). Text is escaped the way Slack sends it: &, < and > become
 * entities, so a client must unescape it.
 * https://docs.slack.dev/messaging/formatting-message-text#escaping
 */
import { createHash } from 'node:crypto';
import type { SlackSandboxStore, StoredChannel, StoredFile, StoredMessage, StoredUser, StoredView } from './store.ts';

export type Json = Record<string, unknown>;

export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Keeps Slack's own markup (<@U123>, <https://…|label>) and escapes everything else. */
function escapeKeepingMarkup(text: string): string {
  return text
    .split(/(<[@#!][^<>\s|]+(?:\|[^<>]*)?>|<(?:https?|mailto):[^<>\s|]+(?:\|[^<>]*)?>)/)
    .map((part, index) => (index % 2 === 1 ? part : escapeText(part)))
    .join('');
}

function hex(seed: string, length: number): string {
  return createHash('sha1').update(seed).digest('hex').slice(0, length);
}

function clientMsgId(message: StoredMessage): string {
  const h = hex(`${message.channel}:${message.ts}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function fileJson(file: StoredFile, origin: string, store: SlackSandboxStore): Json {
  const base = `${origin}/files-pri/${store.team.id}-${file.id}`;
  return {
    id: file.id,
    created: file.created,
    timestamp: file.created,
    name: file.name,
    title: file.title,
    mimetype: file.mimetype,
    filetype: file.filetype,
    pretty_type: file.filetype.toUpperCase(),
    user: file.user,
    user_team: store.team.id,
    editable: false,
    size: file.size,
    mode: 'hosted',
    is_external: false,
    external_type: '',
    is_public: true,
    public_url_shared: false,
    display_as_bot: false,
    username: '',
    url_private: `${base}/${encodeURIComponent(file.name)}`,
    url_private_download: `${base}/download/${encodeURIComponent(file.name)}`,
    permalink: `https://${store.team.domain}.slack.com/files/${file.user}/${file.id}/${encodeURIComponent(file.name)}`,
    permalink_public: `https://slack-files.com/${store.team.id}-${file.id}-${hex(file.id, 10)}`,
    has_rich_preview: false,
    file_access: 'visible',
  };
}

function richTextBlocks(message: StoredMessage): Json[] {
  return [{ type: 'rich_text', block_id: hex(message.ts, 5), elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: message.text }] }] }];
}

function botProfile(store: SlackSandboxStore, user: StoredUser): Json {
  return {
    id: user.botId,
    app_id: user.appId,
    user_id: user.id,
    name: user.realName,
    icons: { image_36: 'https://a.slack-edge.com/80588/img/plugins/app/bot_36.png', image_48: 'https://a.slack-edge.com/80588/img/plugins/app/bot_48.png', image_72: 'https://a.slack-edge.com/80588/img/plugins/app/service_72.png' },
    deleted: false,
    updated: user.updated,
    team_id: store.team.id,
  };
}

export interface MessageJsonOptions {
  origin: string;
  /** The answer is conversations.history: parents carry their thread summary. */
  withThreadSummary: boolean;
  missingFields: boolean;
}

export function messageJson(store: SlackSandboxStore, channel: StoredChannel, message: StoredMessage, options: MessageJsonOptions): Json {
  const author = message.user ? store.users.get(message.user) : undefined;
  const json: Json = { type: 'message' };
  if (message.subtype) json.subtype = message.subtype;
  json.ts = message.ts;
  if (message.user) json.user = message.user;
  if (message.subtype === 'bot_message') {
    json.bot_id = message.botId;
    json.username = message.username;
    json.icons = { emoji: ':robot_face:' };
  } else if (author?.kind === 'bot' || message.botId) {
    json.bot_id = message.botId ?? author?.botId;
    json.app_id = message.appId ?? author?.appId;
    if (author) json.bot_profile = botProfile(store, author);
  } else if (message.subtype === null || message.subtype === 'thread_broadcast') {
    json.client_msg_id = clientMsgId(message);
  }
  json.text = escapeKeepingMarkup(message.text);
  json.team = author?.teamId ?? store.team.id;
  if (message.subtype !== 'channel_join' && message.subtype !== 'bot_message') json.blocks = message.blocks ?? richTextBlocks(message);
  if (message.files.length > 0) {
    json.files = message.files.map((file) => fileJson(file, options.origin, store));
    json.upload = false;
    json.display_as_bot = false;
  }
  if (message.edited) json.edited = { ...message.edited };

  const replies = channel.replies.get(message.ts);
  if (message.threadTs === message.ts && replies && replies.length > 0) {
    json.thread_ts = message.ts;
    json.reply_count = replies.length;
    const replyUsers = [...new Set(replies.map((reply) => reply.user ?? reply.botId ?? ''))].filter(Boolean);
    json.reply_users_count = replyUsers.length;
    json.latest_reply = replies.at(-1)?.ts;
    json.reply_users = replyUsers.slice(0, 5);
    json.is_locked = false;
    json.subscribed = false;
  } else if (message.threadTs) {
    json.thread_ts = message.threadTs;
    json.parent_user_id = channel.byTs.get(message.threadTs)?.user ?? undefined;
    if (message.subtype === 'thread_broadcast' && options.withThreadSummary) {
      json.root = { ...messageJson(store, channel, channel.byTs.get(message.threadTs) ?? message, { ...options, withThreadSummary: false }) };
    }
  }
  if (options.missingFields) delete json.ts;
  return json;
}

export function userJson(store: SlackSandboxStore, user: StoredUser, options: { withEmail: boolean; withLocale: boolean }): Json {
  const [firstName = '', ...rest] = user.realName.split(' ');
  const image = `https://secure.gravatar.com/avatar/${hex(user.id, 32)}.jpg`;
  const profile: Json = {
    title: user.kind === 'agent' ? 'Customer Support' : '',
    phone: user.phone ?? '',
    skype: '',
    real_name: user.realName,
    real_name_normalized: user.realName.normalize('NFKD').replace(/[\u0300-\u036f]/g, ''),
    display_name: user.kind === 'bot' ? '' : firstName,
    display_name_normalized: user.kind === 'bot' ? '' : firstName,
    fields: null,
    status_text: '',
    status_emoji: '',
    status_expiration: 0,
    avatar_hash: hex(user.id, 12),
    first_name: firstName,
    last_name: rest.join(' '),
    image_24: image,
    image_32: image,
    image_48: image,
    image_72: image,
    image_192: image,
    image_512: image,
    team: user.teamId,
  };
  if (user.kind === 'bot') {
    profile.bot_id = user.botId;
    profile.api_app_id = user.appId;
    profile.always_active = true;
  }
  // Slack includes the email only for tokens with users:read.email.
  if (options.withEmail && user.email) profile.email = user.email;
  const json: Json = {
    id: user.id,
    team_id: user.teamId,
    name: user.name,
    deleted: user.deleted,
    color: hex(user.id, 6),
    real_name: user.realName,
    tz: 'Europe/Berlin',
    tz_label: 'Central European Time',
    tz_offset: 3600,
    profile,
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: user.isRestricted,
    is_ultra_restricted: false,
    is_bot: user.kind === 'bot',
    is_app_user: false,
    updated: user.updated,
    is_email_confirmed: user.kind !== 'bot',
    who_can_share_contact_card: 'EVERYONE',
  };
  if (options.withLocale) json.locale = user.locale;
  return json;
}

export function channelJson(store: SlackSandboxStore, channel: StoredChannel, options: { withLocale: boolean; withMemberCount: boolean; botUserId: string }): Json {
  const json: Json = {
    id: channel.id,
    name: channel.name,
    is_channel: true,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: channel.isPrivate,
    created: channel.created,
    is_archived: false,
    is_general: false,
    unlinked: 0,
    name_normalized: channel.name,
    is_shared: false,
    is_org_shared: false,
    is_pending_ext_shared: false,
    pending_shared: [],
    context_team_id: store.team.id,
    updated: channel.created * 1000,
    parent_conversation: null,
    creator: channel.creator,
    is_ext_shared: false,
    shared_team_ids: [store.team.id],
    pending_connected_team_ids: [],
    is_member: channel.members.has(options.botUserId),
    last_read: channel.topLevel.at(-1)?.ts ?? '0000000000.000000',
    topic: { value: '', creator: '', last_set: 0 },
    purpose: { value: channel.purpose, creator: channel.creator, last_set: channel.created },
    previous_names: [],
  };
  if (options.withLocale) json.locale = 'en-US';
  if (options.withMemberCount) json.num_members = channel.members.size;
  return json;
}

export function viewJson(store: SlackSandboxStore, view: StoredView, bot: { appId: string; botId: string }): Json {
  const source = view.view;
  return {
    id: view.id,
    team_id: store.team.id,
    type: view.type,
    title: source.title ?? null,
    submit: source.submit ?? null,
    close: source.close ?? null,
    blocks: Array.isArray(source.blocks) ? source.blocks : [],
    private_metadata: typeof source.private_metadata === 'string' ? source.private_metadata : '',
    callback_id: typeof source.callback_id === 'string' ? source.callback_id : '',
    external_id: view.externalId ?? '',
    state: { values: {} },
    hash: view.hash,
    clear_on_close: source.clear_on_close === true,
    notify_on_close: source.notify_on_close === true,
    submit_disabled: source.submit_disabled === true,
    root_view_id: view.rootViewId,
    previous_view_id: view.previousViewId,
    app_id: bot.appId,
    app_installed_team_id: store.team.id,
    bot_id: bot.botId,
  };
}
