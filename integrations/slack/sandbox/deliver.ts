/**
 * Delivers what Slack sends an app, over the mode the app uses: an open Socket Mode connection if
 * there is one, else the request URL (or the mode a test names with `via`). Every delivery is
 * recorded in `store.deliveries` with its attempts and latencies.
 *
 * Over HTTP, as Slack does (https://docs.slack.dev/apis/events-api/,
 * https://docs.slack.dev/interactivity/handling-user-interaction): a POST with User-Agent
 * "Slackbot 1.0", X-Slack-Request-Timestamp and X-Slack-Signature; slash commands as
 * application/x-www-form-urlencoded fields, interactivity as a form with one `payload` field of
 * JSON, events and url_verification as application/json. The app has 3 seconds to answer.
 *
 * Events only are retried, up to 3 times (Slack's delays: nearly at once, after a minute, after
 * five), when the app answers late, not at all, or outside 2xx: with X-Slack-Retry-Num and
 * X-Slack-Retry-Reason (http_timeout, http_error, connection_failed) over HTTP, and retry_attempt
 * and retry_reason ("timeout") in Socket Mode envelopes, always with the same event_id. An answer
 * with X-Slack-No-Retry: 1 stops them. Slash commands and interactions are never retried: the user
 * sees an error instead.
 */
import { randomUUID } from 'node:crypto';
import type { AttemptError, DeliveryAttempt, DeliveryKind, DeliveryRecord, DeliveryVia, SignatureMode } from './records.ts';
import { signatureHeaders } from './signing.ts';
import type { SocketLink } from './socket.ts';
import type { SlackSandboxStore } from './store.ts';

const USER_AGENT = 'Slackbot 1.0 (+https://api.slack.com/robots)';

export interface DeliveryOptions {
  /** Force a mode; by default an open socket connection, else the request URL. */
  via?: DeliveryVia;
  /** HTTP only: sign wrongly, with a stale timestamp, or not at all. */
  signature?: SignatureMode;
}

export interface DeliverySettings {
  signingSecret: string;
  /** How long Slack waits for an answer or an ack: 3000 ms. */
  ackTimeoutMs: number;
  /** Waits before each event retry; Slack's are [0, 60_000, 300_000]. Tests shorten them. */
  eventRetryDelaysMs: number[];
  clock: () => number;
}

/** What to deliver: the Socket Mode envelope's type and payload, and how HTTP carries it. */
export interface Delivery {
  kind: DeliveryKind;
  name: string;
  payload: Record<string, unknown>;
  /** The event_id (events), so retries keep it; else a fresh id. */
  id?: string;
  acceptsResponsePayload: boolean;
}

type Attempted = DeliveryAttempt & { body: unknown; noRetry: boolean };

export class Deliverer {
  requestUrl: string | null = null;
  private readonly closing = new AbortController();

  constructor(
    private readonly store: SlackSandboxStore,
    private readonly link: SocketLink,
    private readonly settings: DeliverySettings,
  ) {}

  /** Delivers once, or with Slack's retries for events, and records it. */
  async deliver(delivery: Delivery, options: DeliveryOptions = {}): Promise<DeliveryRecord> {
    const via = this.route(delivery, options.via);
    const signature = via === 'http' ? (options.signature ?? 'valid') : null;
    const record: DeliveryRecord = {
      id: delivery.id ?? randomUUID(),
      kind: delivery.kind,
      name: delivery.name,
      via,
      signature,
      ok: false,
      status: null,
      latencyMs: 0,
      retries: 0,
      attempts: [],
      body: null,
      time: new Date(this.settings.clock()),
    };
    this.store.deliveries.push(record);
    const retryable = delivery.kind === 'events_api';
    for (let retryNum = 0; ; retryNum++) {
      const previous = record.attempts.at(-1);
      const retryReason = previous ? retryReasonOf(previous.error, via) : null;
      const attempt = via === 'http' ? await this.overHttp(delivery, signature ?? 'valid', retryNum, retryReason) : await this.overSocket(delivery, retryNum, retryReason);
      record.attempts.push({ retryNum, retryReason, status: attempt.status, acked: attempt.acked, latencyMs: attempt.latencyMs, error: attempt.error });
      Object.assign(record, { ok: attempt.acked, status: attempt.status, latencyMs: attempt.latencyMs, retries: retryNum, body: attempt.body });
      const delay = this.settings.eventRetryDelaysMs[retryNum];
      if (attempt.acked || !retryable || attempt.noRetry || delay === undefined) return record;
      if (!(await this.wait(delay))) return record;
    }
  }

  /** Whether the app receives anything: an open Socket Mode connection or a request URL. */
  reachable(): boolean {
    return this.link.active > 0 || this.requestUrl !== null;
  }

  /** Stops waiting retries (the sandbox is closing). */
  close(): void {
    this.closing.abort();
  }

  private route(delivery: Delivery, via: DeliveryVia | undefined): DeliveryVia {
    const chosen = via ?? (this.link.active > 0 && delivery.kind !== 'url_verification' ? 'socket' : 'http');
    if (chosen === 'socket' && delivery.kind === 'url_verification') throw new Error('url_verification is an HTTP handshake; Socket Mode has none');
    if (chosen === 'socket' && this.link.active === 0) throw new Error('no Socket Mode connection is open');
    if (chosen === 'http' && this.requestUrl === null) throw new Error('the app has no request URL (setRequestUrl) and no Socket Mode connection');
    return chosen;
  }

  private async overHttp(delivery: Delivery, signature: SignatureMode, retryNum: number, retryReason: string | null): Promise<Attempted> {
    const { body, contentType } = httpBody(delivery);
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'User-Agent': USER_AGENT,
      ...signatureHeaders(this.settings.signingSecret, body, signature, this.settings.clock()),
    };
    if (retryNum > 0 && retryReason) Object.assign(headers, { 'X-Slack-Retry-Num': String(retryNum), 'X-Slack-Retry-Reason': retryReason });
    const started = performance.now();
    const failed = (error: AttemptError, status: number | null = null): Attempted => ({ retryNum, retryReason, status, acked: false, latencyMs: performance.now() - started, error, body: null, noRetry: false });
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.requestUrl ?? '', { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.any([AbortSignal.timeout(this.settings.ackTimeoutMs), this.closing.signal]) });
      text = await response.text();
    } catch (error) {
      return failed(error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError') ? 'http_timeout' : 'connection_failed');
    }
    const acked = response.status >= 200 && response.status < 300;
    return {
      retryNum,
      retryReason,
      status: response.status,
      acked,
      latencyMs: performance.now() - started,
      error: acked ? null : 'http_error',
      body: parseAnswer(text, response.headers.get('content-type')),
      noRetry: response.headers.get('x-slack-no-retry') === '1',
    };
  }

  private async overSocket(delivery: Delivery, retryNum: number, retryReason: string | null): Promise<Attempted> {
    const envelope: { envelope_id: string } & Record<string, unknown> = {
      envelope_id: randomUUID(),
      payload: delivery.payload,
      type: delivery.kind,
      accepts_response_payload: delivery.acceptsResponsePayload,
    };
    if (delivery.kind === 'events_api') Object.assign(envelope, { retry_attempt: retryNum, retry_reason: retryReason ?? '' });
    const ack = await this.link.send(envelope, this.settings.ackTimeoutMs);
    return { retryNum, retryReason, status: null, acked: ack.acked, latencyMs: ack.latencyMs, error: ack.acked ? null : 'timeout', body: ack.payload, noRetry: false };
  }

  /** Resolves true after `ms`, or false at once when the sandbox closes. */
  private wait(ms: number): Promise<boolean> {
    const signal = this.closing.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', stop);
        resolve(true);
      }, ms);
      const stop = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', stop, { once: true });
    });
  }
}

/** Slack's reasons: over HTTP by what went wrong, in Socket Mode always "timeout" (no ack in time). */
function retryReasonOf(error: AttemptError | null, via: DeliveryVia): string {
  if (via === 'socket') return 'timeout';
  return error === 'http_timeout' || error === 'connection_failed' ? error : 'http_error';
}

function httpBody(delivery: Delivery): { body: string; contentType: string } {
  if (delivery.kind === 'slash_commands') {
    const fields = Object.entries(delivery.payload).map(([key, value]): [string, string] => [key, String(value)]);
    return { body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  if (delivery.kind === 'interactive') {
    return { body: new URLSearchParams({ payload: JSON.stringify(delivery.payload) }).toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return { body: JSON.stringify(delivery.payload), contentType: 'application/json' };
}

/** JSON when the app says so, the text otherwise, null when empty. */
function parseAnswer(text: string, contentType: string | null): unknown {
  if (text.length === 0) return null;
  if (contentType?.toLowerCase().includes('application/json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
