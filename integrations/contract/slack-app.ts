/**
 * The Slack app as the hub sees it: what people do in Slack (a slash command, a button, a modal
 * submitted, a message in a channel, the App Home opened) as plain inputs, and what the hub may do
 * back. integrations/slack/app/ turns Bolt's payloads into these and acknowledges within Slack's
 * three seconds; src/slack/ decides what happens. Views and messages are Block Kit JSON.
 */
import type { VendorLogger } from './connector.ts';
import type { InboundRequest } from './webhooks.ts';

/** A reply in Slack: an ephemeral one unless `inChannel`. */
export interface SlackReply {
  text: string;
  blocks?: unknown[];
  inChannel?: boolean;
  /** For a reply to a button: replace the message the button was on. */
  replaceOriginal?: boolean;
}

export interface SlackCommand {
  command: string;
  /** What follows the command, trimmed. */
  text: string;
  userId: string;
  teamId: string | null;
  channelId: string;
  triggerId: string;
  responseUrl: string;
}

export interface SlackButton {
  actionId: string;
  blockId: string | null;
  value: string | null;
  userId: string;
  /** Where the button was: a message (channel + ts) or a view (id). */
  channelId: string | null;
  messageTs: string | null;
  viewId: string | null;
  triggerId: string;
  responseUrl: string | null;
}

export interface SlackViewSubmission {
  callbackId: string;
  viewId: string;
  privateMetadata: string;
  /** Every input's value by its action id: text, or the selected option's value. */
  values: Record<string, string | null>;
  userId: string;
}

/** A message posted or edited in a channel the app is in (Events API `message`). */
export interface SlackMessageEvent {
  /** Unique per event: Slack retries deliver the same id. */
  eventId: string;
  channelId: string;
  ts: string;
  threadTs: string | null;
  userId: string | null;
  text: string;
  edited: boolean;
  /** A message from a bot (tuneloop's own among them). */
  fromBot: boolean;
}

/** What a handler answers: the acknowledgement Slack waits for, and work to do right after it. */
export interface SlackAnswer<A = SlackReply> {
  ack?: A;
  after?: () => Promise<void>;
}

/** A view submission's acknowledgement: errors next to fields, or an updated view, or close. */
export type SlackViewAck = { errors: Record<string, string> } | { update: unknown } | undefined;

export interface SlackAppHandlers {
  command(input: SlackCommand, slack: SlackAppClient): Promise<SlackAnswer>;
  button(input: SlackButton, slack: SlackAppClient): Promise<SlackAnswer<undefined>>;
  viewSubmission(input: SlackViewSubmission, slack: SlackAppClient): Promise<SlackAnswer<SlackViewAck>>;
  message(input: SlackMessageEvent, slack: SlackAppClient): Promise<void>;
  appHomeOpened(userId: string, slack: SlackAppClient): Promise<void>;
}

/** What the hub may do in Slack, with the bot token. */
export interface SlackAppClient {
  respond(responseUrl: string, reply: SlackReply): Promise<void>;
  postMessage(message: { channel: string; text: string; blocks?: unknown[]; threadTs?: string }): Promise<{ channel: string; ts: string }>;
  updateMessage(message: { channel: string; ts: string; text: string; blocks?: unknown[] }): Promise<void>;
  postEphemeral(message: { channel: string; user: string; text: string; blocks?: unknown[] }): Promise<void>;
  openView(triggerId: string, view: unknown): Promise<{ viewId: string }>;
  publishHome(userId: string, view: unknown): Promise<void>;
  /** The members of a user group (usergroups.users.list). */
  userGroupMembers(groupId: string): Promise<string[]>;
}

export interface SlackAppOptions {
  botToken: string;
  /** HTTP mode: requests are verified with it. */
  signingSecret?: string;
  /** Socket Mode: an app-level token (xapp-…). */
  appToken?: string;
  apiUrl: string;
  handlers: SlackAppHandlers;
  log: VendorLogger & { error(obj: object, msg?: string): void };
}

/** A Slack app: in HTTP mode `handle` answers `POST /slack/events`; in Socket Mode `start` connects. */
export interface SlackApp {
  readonly mode: 'http' | 'socket';
  /** HTTP mode: verifies, then processes one request; never throws, never answers 5xx. */
  handle(request: InboundRequest): Promise<{ status: number; headers: Record<string, string>; body: string }>;
  client: SlackAppClient;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SlackAppFactory {
  create(options: SlackAppOptions): SlackApp;
}
