/**
 * What the sandbox records when it plays Slack's side: every delivery to the app (with its attempts,
 * latencies and retries, for tests and benches), the messages the app answered with (ack bodies and
 * response_url posts), the trigger ids and response_urls it handed out, and Socket Mode connections.
 */

/** The envelope types of Socket Mode, plus the HTTP-only url_verification handshake. */
export type DeliveryKind = 'slash_commands' | 'interactive' | 'events_api' | 'url_verification';
export type DeliveryVia = 'http' | 'socket';
/** How an HTTP delivery is signed: 'wrong' (another secret), 'stale' (a timestamp 6 minutes old), 'missing' (no X-Slack-Signature). */
export type SignatureMode = 'valid' | 'wrong' | 'stale' | 'missing';
/** Why an attempt failed: no answer within the ack timeout, a refused connection, or a non-2xx answer. */
export type AttemptError = 'http_timeout' | 'connection_failed' | 'http_error' | 'timeout';

export interface DeliveryAttempt {
  /** 0 for the first try, then the retry number Slack sends. */
  retryNum: number;
  retryReason: string | null;
  /** The HTTP status; null in Socket Mode and when no answer came. */
  status: number | null;
  acked: boolean;
  latencyMs: number;
  error: AttemptError | null;
}

export interface DeliveryRecord {
  /** The event_id for events; else an id of the sandbox's own. */
  id: string;
  kind: DeliveryKind;
  /** What was delivered: the command, the interactive payload's type, or the event's type. */
  name: string;
  via: DeliveryVia;
  /** HTTP only. */
  signature: SignatureMode | null;
  /** The last attempt was acknowledged (2xx over HTTP, an ack over the socket). */
  ok: boolean;
  /** The last attempt's HTTP status (null in Socket Mode or without an answer). */
  status: number | null;
  /** The last attempt's latency. */
  latencyMs: number;
  retries: number;
  attempts: DeliveryAttempt[];
  /** The app's answer, parsed: the ack's payload (Socket Mode) or the response body (JSON, or text). */
  body: unknown;
  time: Date;
}

/** A message the app sent back: in an ack body or through a response_url. */
export interface ResponseMessage {
  source: 'ack' | 'response_url';
  responseUrlId: string | null;
  channel: string;
  /** The user who acted; an ephemeral answer is shown to them only. */
  user: string;
  responseType: 'ephemeral' | 'in_channel';
  replaceOriginal: boolean;
  deleteOriginal: boolean;
  text: string;
  blocks: unknown[] | null;
  /** What it did to the channel, and the ts it did it to (null for ephemeral messages). */
  applied: 'posted' | 'replaced' | 'deleted' | 'ephemeral';
  ts: string | null;
  time: Date;
}

/** A response_url the sandbox handed out: up to 5 posts within 30 minutes. */
export interface ResponseUrlGrant {
  id: string;
  channelId: string;
  userId: string;
  /** The message whose button was clicked (replace_original and delete_original act on it). */
  originTs: string | null;
  /** The last in_channel message posted through this URL, for a later replace_original. */
  lastPostedTs: string | null;
  issuedAt: number;
  uses: number;
}

/** A trigger_id the sandbox handed out: views.open takes it once, within 3 seconds. */
export interface IssuedTrigger {
  userId: string;
  issuedAt: number;
  exchanged: boolean;
}

export interface SocketConnectionRecord {
  id: number;
  openedAt: Date;
  closedAt: Date | null;
  /** The disconnect message the sandbox sent it, if any. */
  disconnectReason: string | null;
}
