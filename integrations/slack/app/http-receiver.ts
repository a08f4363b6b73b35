/**
 * Bolt's receiver for `POST /slack/events` on the hub (HTTP mode): the hub hands over the raw
 * request; it is verified (v0 signature over the raw body, five-minute window, constant-time
 * compare: Bolt's verifySlackRequest) before anything is parsed, then given to Bolt, and the answer
 * is whatever the listener acknowledged with. A bad or stale signature gets 401 and runs nothing.
 * https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
import { parse as parseQuery } from 'node:querystring';
import { isValidSlackRequest, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { InboundRequest, VendorLogger } from '../../types.ts';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const FIVE_MINUTES_S = 5 * 60;
/** Slack waits 3 s for the acknowledgement; a listener that has not acked by then gets an empty 200. */
const ACK_TIMEOUT_MS = 2_800;

const text = (status: number, body = ''): HttpAnswer => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });
const json = (body: unknown): HttpAnswer => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function answerFor(response: unknown): HttpAnswer {
  if (response === undefined || response === null || response === '') return text(200);
  return typeof response === 'string' ? text(200, response) : json(response);
}

/** The body as Slack sent it: JSON (events), a form (commands), or a form whose `payload` is JSON (interactivity). */
function parseBody(raw: string, contentType: string): Record<string, unknown> | null {
  try {
    if (contentType.includes('application/json')) {
      const parsed: unknown = JSON.parse(raw);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    }
    const form = parseQuery(raw);
    if (typeof form.payload === 'string') {
      const payload: unknown = JSON.parse(form.payload);
      return payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : null;
    }
    return Object.fromEntries(Object.entries(form).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value]));
  } catch {
    return null;
  }
}

export class HonoSlackReceiver implements Receiver {
  private app: App | null = null;

  constructor(
    private readonly signingSecret: string,
    private readonly log: VendorLogger & { error(obj: object, msg?: string): void },
    private readonly now: () => number = Date.now,
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  async handle(request: InboundRequest): Promise<HttpAnswer> {
    const raw = new TextDecoder().decode(request.body);
    const timestamp = Number(request.header('x-slack-request-timestamp'));
    const signature = request.header('x-slack-signature') ?? '';
    const nowS = Math.floor(this.now() / 1000);
    const valid =
      Number.isInteger(timestamp) &&
      // Bolt refuses old timestamps; one from the future is refused here.
      timestamp <= nowS + FIVE_MINUTES_S &&
      isValidSlackRequest({ signingSecret: this.signingSecret, body: raw, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp }, nowMilliseconds: this.now() });
    if (!valid) {
      this.log.warn({ reason: signature ? 'signature mismatch or stale timestamp' : 'no signature' }, 'Slack request refused');
      return text(401, 'invalid signature');
    }
    const body = parseBody(raw, request.header('content-type') ?? '');
    if (!body) {
      this.log.warn({}, 'Slack request with an unreadable body: acknowledged, nothing done');
      return text(200);
    }
    // https://docs.slack.dev/reference/events/url_verification
    if (body.type === 'url_verification' && typeof body.challenge === 'string') return json({ challenge: body.challenge });
    if (body.ssl_check) return text(200);
    if (!this.app) return text(200);

    let settle: (answer: HttpAnswer) => void = () => undefined;
    const answered = new Promise<HttpAnswer>((resolve) => (settle = resolve));
    let acked = false;
    const event: ReceiverEvent = {
      body,
      retryNum: Number(request.header('x-slack-retry-num')) || undefined,
      retryReason: request.header('x-slack-retry-reason') || undefined,
      ack: async (response?: unknown) => {
        if (acked) return;
        acked = true;
        settle(answerFor(response));
      },
    };
    const timer = setTimeout(() => event.ack(), ACK_TIMEOUT_MS);
    this.app
      .processEvent(event)
      .catch((error: unknown) => this.log.error({ err: error }, 'Slack request failed after verification'))
      .finally(() => {
        clearTimeout(timer);
        // Nothing acknowledged (no listener, or it failed first): Slack still gets a 200, never a 5xx.
        void event.ack();
      });
    return answered;
  }
}
