/**
 * What the Slack sandbox holds: a workspace with users, a support user group, channels of threads,
 * and the logs tests read (requests, Retry-After violations, messages the app posted, views, and
 * what the sandbox delivered to the app as Slack: deliveries, answers, triggers, response_urls).
 *
 * Messages are kept the way Slack orders them: per channel, top-level messages (thread parents,
 * plain messages, channel events, broadcast replies) ascending by ts, and each thread's replies
 * ascending by ts. A new message always gets a ts later than every other in its channel, as Slack's do.
 */
import { tsFromMicros, tsMicros } from '../timestamps.ts';
import type { DeliveryRecord, IssuedTrigger, ResponseMessage, ResponseUrlGrant, SocketConnectionRecord } from './records.ts';

export interface StoredUser {
  id: string;
  teamId: string;
  /** The handle ("anna.muller"). */
  name: string;
  realName: string;
  email: string | null;
  phone: string | null;
  kind: 'customer' | 'agent' | 'bot';
  /** Bot users only: the bot and the app behind it. */
  botId: string | null;
  appId: string | null;
  /** Guests (customers here) are restricted accounts. */
  isRestricted: boolean;
  deleted: boolean;
  locale: string;
  updated: number;
}

export interface StoredFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  created: number;
  user: string;
  /** The file itself, where a test shared one to download; seeded screenshots have none. */
  content?: Uint8Array;
}

export interface StoredMessage {
  ts: string;
  channel: string;
  /** The author; null for legacy integration posts (subtype bot_message), which have a username instead. */
  user: string | null;
  botId: string | null;
  appId: string | null;
  username: string | null;
  subtype: string | null;
  /** Plain text as the author typed it; escaped for the API when rendered. */
  text: string;
  /** Replies: their parent's ts. Parents: their own ts once they have replies. */
  threadTs: string | null;
  edited: { user: string; ts: string } | null;
  files: StoredFile[];
  blocks: unknown[] | null;
}

export interface StoredChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  created: number;
  creator: string;
  purpose: string;
  members: Set<string>;
  /** Top-level messages, ascending by ts. */
  topLevel: StoredMessage[];
  /** Replies by parent ts, ascending by ts. */
  replies: Map<string, StoredMessage[]>;
  byTs: Map<string, StoredMessage>;
  lastMicros: number;
}

export interface StoredView {
  id: string;
  type: 'modal' | 'home';
  /** The view as the app sent it (title, blocks, callback_id, private_metadata, …). */
  view: Record<string, unknown>;
  hash: string;
  userId: string | null;
  rootViewId: string;
  previousViewId: string | null;
  externalId: string | null;
  /** Modals: shown until submitted, closed or cleared. App Home views stay open. */
  open: boolean;
  /** The errors of the last response_action "errors", by block_id. */
  errors: Record<string, string> | null;
}

export interface RequestLogEntry {
  method: string;
  httpMethod: string;
  time: Date;
  status: number;
  /** Slack's error code when the answer was {ok: false}. */
  error: string | null;
}

export interface RetryAfterViolation {
  method: string;
  time: Date;
  /** When the Retry-After the sandbox had handed out was over. */
  allowedAfter: Date;
}

export interface PostedEntry {
  /** response_url: a message the app replaced or posted through a response_url or an ack. */
  method: 'chat.postMessage' | 'chat.update' | 'chat.postEphemeral' | 'response_url';
  channel: string;
  ts: string;
  threadTs: string | null;
  /** chat.postEphemeral: who saw it. */
  user: string | null;
  text: string;
  blocks: unknown[] | null;
  time: Date;
}

export interface ViewLogEntry {
  /** response_action: a view_submission's answer updated or pushed a view. */
  method: 'views.open' | 'views.update' | 'views.publish' | 'response_action';
  viewId: string;
  view: Record<string, unknown>;
  time: Date;
}

export interface NewMessageInput {
  user?: string | null;
  botId?: string | null;
  appId?: string | null;
  username?: string | null;
  subtype?: string | null;
  text: string;
  threadTs?: string | null;
  files?: StoredFile[];
  blocks?: unknown[] | null;
  /** Seeding only: when it was posted. New messages are posted now. */
  at?: Date;
}

export const FOLLOW_UP_TEXT = 'Any news on this? I am still waiting for an answer.';

export class SlackSandboxStore {
  readonly team = { id: 'T0SANDBOX1', name: 'Example Shop Support', domain: 'example-shop' };
  readonly users = new Map<string, StoredUser>();
  readonly channels = new Map<string, StoredChannel>();
  /** User group id → member ids. */
  readonly userGroups = new Map<string, { handle: string; name: string; users: string[] }>();
  readonly views = new Map<string, StoredView>();
  readonly expiredTriggerIds = new Set<string>();
  readonly requestLog: RequestLogEntry[] = [];
  readonly violations: RetryAfterViolation[] = [];
  readonly posted: PostedEntry[] = [];
  readonly viewLog: ViewLogEntry[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  readonly responses: ResponseMessage[] = [];
  readonly responseUrls = new Map<string, ResponseUrlGrant>();
  readonly triggers = new Map<string, IssuedTrigger>();
  readonly socketConnections: SocketConnectionRecord[] = [];
  /** File downloads (url_private), answered or refused. */
  readonly fileDownloads: Array<{ fileId: string; served: boolean }> = [];
  /** The app's bot user, the one the bot token belongs to. */
  botUserId = '';
  private nextFileNumber = 1;
  private nextViewNumber = 1;

  channel(idOrName: string): StoredChannel | undefined {
    const byId = this.channels.get(idOrName);
    if (byId) return byId;
    const name = idOrName.replace(/^#/, '');
    for (const channel of this.channels.values()) if (channel.name === name) return channel;
    return undefined;
  }

  addChannel(input: { id: string; name: string; isPrivate: boolean; created: Date; creator: string; purpose: string }): StoredChannel {
    const channel: StoredChannel = {
      ...input,
      created: Math.floor(input.created.getTime() / 1000),
      members: new Set(),
      topLevel: [],
      replies: new Map(),
      byTs: new Map(),
      lastMicros: 0,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  allocateFileId(): string {
    return `F0${String(this.nextFileNumber++).padStart(8, '0')}`;
  }

  allocateViewId(): string {
    return `V0${String(this.nextViewNumber++).padStart(8, '0')}`;
  }

  /** A ts unique in the channel: exactly `at` when seeding the past, else now and after the channel's last. */
  private allocateTs(channel: StoredChannel, at: Date | undefined): string {
    let micros = (at ?? new Date()).getTime() * 1000;
    if (at === undefined) micros = Math.max(micros, channel.lastMicros + 1);
    while (channel.byTs.has(tsFromMicros(micros))) micros++;
    channel.lastMicros = Math.max(channel.lastMicros, micros);
    return tsFromMicros(micros);
  }

  /** Posts a message (a reply when threadTs is set); broadcasts (subtype thread_broadcast) also show in the channel. */
  addMessage(channelId: string, input: NewMessageInput): StoredMessage {
    const channel = this.requireChannel(channelId);
    const parent = input.threadTs ? channel.byTs.get(input.threadTs) : undefined;
    if (input.threadTs && (!parent || (parent.threadTs !== null && parent.threadTs !== parent.ts))) {
      throw new Error(`sandbox channel ${channelId} has no thread ${input.threadTs}`);
    }
    const message: StoredMessage = {
      ts: this.allocateTs(channel, input.at),
      channel: channel.id,
      user: input.user ?? null,
      botId: input.botId ?? null,
      appId: input.appId ?? null,
      username: input.username ?? null,
      subtype: input.subtype ?? null,
      text: input.text,
      threadTs: parent ? parent.ts : null,
      edited: null,
      files: input.files ?? [],
      blocks: input.blocks ?? null,
    };
    channel.byTs.set(message.ts, message);
    if (parent) {
      parent.threadTs = parent.ts;
      const replies = channel.replies.get(parent.ts) ?? [];
      replies.push(message);
      channel.replies.set(parent.ts, replies);
      if (message.subtype === 'thread_broadcast') insertSorted(channel.topLevel, message);
    } else {
      insertSorted(channel.topLevel, message);
    }
    return message;
  }

  /** A reply in an existing thread, posted now: what a customer or agent answering later looks like. */
  addReply(channelId: string, threadTs: string, input: { user: string; text: string }): StoredMessage {
    return this.addMessage(channelId, { user: input.user, text: input.text, threadTs });
  }

  /** Edits a message now, the way a person editing it in Slack does. */
  editMessage(channelId: string, ts: string, text: string, editor?: string): StoredMessage {
    const channel = this.requireChannel(channelId);
    const message = channel.byTs.get(ts);
    if (!message) throw new Error(`sandbox channel ${channelId} has no message ${ts}`);
    message.text = text;
    message.edited = { user: editor ?? message.user ?? this.botUserId, ts: tsFromMicros(Date.now() * 1000) };
    return message;
  }

  /** Deletes a message, as a response_url's delete_original does; a deleted parent's replies stay. */
  deleteMessage(channelId: string, ts: string): void {
    const channel = this.requireChannel(channelId);
    const message = channel.byTs.get(ts);
    if (!message) throw new Error(`sandbox channel ${channelId} has no message ${ts}`);
    channel.byTs.delete(ts);
    const top = channel.topLevel.indexOf(message);
    if (top >= 0) channel.topLevel.splice(top, 1);
    const siblings = message.threadTs && message.threadTs !== ts ? channel.replies.get(message.threadTs) : undefined;
    const index = siblings?.indexOf(message) ?? -1;
    if (siblings && index >= 0) siblings.splice(index, 1);
  }

  /** The App Home view published for a user (views.publish keeps one per user). */
  homeView(userId: string): StoredView | undefined {
    for (const view of this.views.values()) if (view.type === 'home' && view.userId === userId) return view;
    return undefined;
  }

  /** Modals currently shown, oldest first. */
  openModals(userId?: string): StoredView[] {
    return [...this.views.values()].filter((view) => view.type === 'modal' && view.open && (userId === undefined || view.userId === userId));
  }

  /** Thread parents (messages with replies, or top-level human posts), as `C123:ts` ids. */
  threadIds(): string[] {
    const ids: string[] = [];
    for (const channel of this.channels.values()) {
      for (const message of channel.topLevel) if (isThreadStart(message)) ids.push(`${channel.id}:${message.ts}`);
    }
    return ids;
  }

  /**
   * Adds a customer follow-up to `n` threads, the least recently active first, so repeated calls
   * touch different threads. Returns their ids (`C123:ts`).
   */
  followUpThreads(n: number): string[] {
    const candidates: { channel: StoredChannel; parent: StoredMessage; last: number }[] = [];
    for (const channel of this.channels.values()) {
      for (const parent of channel.topLevel) {
        if (!isThreadStart(parent) || parent.user === null) continue;
        const replies = channel.replies.get(parent.ts) ?? [];
        candidates.push({ channel, parent, last: tsMicros(replies.at(-1)?.ts ?? parent.ts) });
      }
    }
    candidates.sort((a, b) => a.last - b.last || tsMicros(a.parent.ts) - tsMicros(b.parent.ts));
    return candidates.slice(0, n).map(({ channel, parent }) => {
      this.addReply(channel.id, parent.ts, { user: parent.user ?? '', text: FOLLOW_UP_TEXT });
      return `${channel.id}:${parent.ts}`;
    });
  }

  requireChannel(id: string): StoredChannel {
    const channel = this.channels.get(id);
    if (!channel) throw new Error(`sandbox has no channel ${id}`);
    return channel;
  }
}

/** A top-level message that starts a conversation: not a channel event and not a broadcast reply. */
export function isThreadStart(message: StoredMessage): boolean {
  return message.subtype === null || message.subtype === 'bot_message' || message.subtype === 'file_share';
}

function insertSorted(list: StoredMessage[], message: StoredMessage): void {
  const micros = tsMicros(message.ts);
  let index = list.length;
  while (index > 0 && tsMicros(list[index - 1]?.ts ?? '0') > micros) index--;
  list.splice(index, 0, message);
}
