/**
 * `tuneloop zendesk install`: registers tuneloop's webhook in a Zendesk account and the trigger that
 * notifies it when an end-user creates a ticket or adds a public comment. Idempotent: an existing
 * webhook with our endpoint URL, and an existing trigger notifying that webhook, are found and reused.
 *
 * Plain fetch rather than the ZendeskApi wrapper (client.ts): that one only GETs, through
 * node-zendesk, which appends ".json" to paths; the Webhooks API lives outside the Support API's
 * ".json" convention. Reads are retried like every Zendesk read (withRetry); creates are not,
 * since a re-run finds what a lost answer created.
 */
import { z } from 'zod';
import { withRetry, type RetryPolicy } from '../common/retry.ts';
import { VendorError, type WebhookInstaller } from '../types.ts';
import { shapeError, statusError, transportError } from './errors.ts';
import { endpointUriFor, ZendeskCredentials, ZendeskSettings } from './settings.ts';

export interface InstallInput {
  settings: ZendeskSettings;
  credentials: ZendeskCredentials;
  /** The hub's public base URL, e.g. https://hub.example.com */
  hubUrl: string;
  connectionId: string;
  connectionName: string;
  retryPolicy?: Partial<RetryPolicy>;
}

export interface InstallResult {
  endpoint: string;
  webhookId: string;
  triggerId: number;
  /** The webhook's signing secret: store it sealed, never print it. */
  secret: string;
  createdWebhook: boolean;
  createdTrigger: boolean;
}

/** The body Zendesk posts; its placeholders are rendered by Zendesk. Parsed by webhook.ts. */
export const TRIGGER_BODY = JSON.stringify({ tuneloop: 1, event: 'ticket.end_user_update', ticket_id: '{{ticket.id}}', updated_at: '{{ticket.updated_at_with_timestamp}}' });

export function webhookEndpoint(hubUrl: string, connectionId: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/webhooks/zendesk/${connectionId}`;
}

export function webhookName(connectionName: string): string {
  return `tuneloop (${connectionName})`;
}

/** Ticket created, or a public comment added, by an end-user (not by agents or tuneloop itself). */
export const TRIGGER_CONDITIONS = {
  all: [{ field: 'role', operator: 'is', value: 'end_user' }],
  any: [
    { field: 'update_type', operator: 'is', value: 'Create' },
    { field: 'comment_is_public', operator: 'is', value: 'true' },
  ],
};

const Webhook = z.object({ id: z.string().min(1), name: z.string(), endpoint: z.string(), status: z.string() });
const WebhookList = z.object({
  webhooks: z.array(Webhook),
  meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullish() }).optional(),
  links: z.object({ next: z.string().nullish() }).optional(),
});
const WebhookOne = z.object({ webhook: Webhook });
const SigningSecret = z.object({ signing_secret: z.object({ algorithm: z.string().optional(), secret: z.string().min(16) }) });
const Trigger = z.object({ id: z.number().int(), title: z.string(), active: z.boolean(), actions: z.array(z.object({ field: z.string(), value: z.unknown() })) });
const TriggerList = z.object({ triggers: z.array(Trigger), next_page: z.string().nullish() });
const TriggerOne = z.object({ trigger: Trigger });

class ZendeskRest {
  readonly root: string;
  readonly host: string;
  private readonly authorization: string;

  constructor(settings: ZendeskSettings, private readonly credentials: ZendeskCredentials, private readonly retryPolicy?: Partial<RetryPolicy>) {
    this.root = endpointUriFor(settings);
    this.host = new URL(this.root).host;
    // https://developer.zendesk.com/api-reference/introduction/security-and-auth/
    this.authorization =
      credentials.type === 'api_token'
        ? `Basic ${Buffer.from(`${credentials.email}/token:${credentials.token}`).toString('base64')}`
        : `Bearer ${credentials.accessToken}`;
  }

  get<T>(what: string, url: string, schema: z.ZodType<T>): Promise<T> {
    return withRetry(() => this.call(what, 'GET', url, undefined, schema), { ...(this.retryPolicy ? { policy: this.retryPolicy } : {}) });
  }

  post<T>(what: string, url: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    return this.call(what, 'POST', url, body, schema);
  }

  url(path: string, query: Record<string, string> = {}): string {
    const url = new URL(`${this.root}/${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url.toString();
  }

  /** Follows only links on our own host: a next-page URL is data from outside. */
  sameHost(url: string): string {
    if (new URL(url).host !== this.host) throw new VendorError('malformed', `Zendesk returned a next page on another host (${new URL(url).host})`);
    return url;
  }

  private async call<T>(what: string, method: 'GET' | 'POST', url: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: this.authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw transportError(error, what, this.host);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) throw statusError(response.status, json, response.headers.get('retry-after'), what, this.host, this.credentials.type);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw shapeError(parsed.error, what, this.host);
    return parsed.data;
  }
}

async function findWebhook(api: ZendeskRest, endpoint: string): Promise<z.infer<typeof Webhook> | null> {
  // https://developer.zendesk.com/api-reference/webhooks/webhooks-api/webhooks/#list-webhooks
  let url: string | null = api.url('webhooks', { 'filter[name_contains]': 'tuneloop', 'page[size]': '100' });
  while (url) {
    const page: z.infer<typeof WebhookList> = await api.get('list webhooks', url, WebhookList);
    const found = page.webhooks.find((webhook) => webhook.endpoint === endpoint);
    if (found) return found;
    url = page.meta?.has_more && page.links?.next ? api.sameHost(page.links.next) : null;
  }
  return null;
}

async function findTrigger(api: ZendeskRest, webhookId: string): Promise<z.infer<typeof Trigger> | null> {
  // https://developer.zendesk.com/api-reference/ticketing/business-rules/triggers/#list-triggers
  let url: string | null = api.url('triggers', { per_page: '100' });
  while (url) {
    const page: z.infer<typeof TriggerList> = await api.get('list triggers', url, TriggerList);
    const found = page.triggers.find((trigger) =>
      trigger.actions.some((action) => action.field === 'notification_webhook' && Array.isArray(action.value) && action.value[0] === webhookId),
    );
    if (found) return found;
    url = page.next_page ? api.sameHost(page.next_page) : null;
  }
  return null;
}

export async function installZendeskWebhook(input: InstallInput): Promise<InstallResult> {
  const api = new ZendeskRest(input.settings, input.credentials, input.retryPolicy);
  const endpoint = webhookEndpoint(input.hubUrl, input.connectionId);
  const name = webhookName(input.connectionName);

  // The endpoint names the connection, so it identifies our webhook even if someone renamed it.
  let webhook = await findWebhook(api, endpoint);
  const createdWebhook = webhook === null;
  if (!webhook) {
    // https://developer.zendesk.com/api-reference/webhooks/webhooks-api/webhooks/#create-or-clone-webhook
    const created = await api.post(
      'create the webhook',
      api.url('webhooks'),
      { webhook: { name, endpoint, http_method: 'POST', request_format: 'json', status: 'active', subscriptions: ['conditional_ticket_events'] } },
      WebhookOne,
    );
    webhook = created.webhook;
  }

  // https://developer.zendesk.com/api-reference/webhooks/webhooks-api/webhooks/#show-webhook-signing-secret
  const { signing_secret: signing } = await api.get('read the webhook signing secret', api.url(`webhooks/${webhook.id}/signing_secret`), SigningSecret);

  let trigger = await findTrigger(api, webhook.id);
  const createdTrigger = trigger === null;
  if (!trigger) {
    // https://developer.zendesk.com/api-reference/ticketing/business-rules/triggers/#create-trigger
    const created = await api.post(
      'create the trigger',
      api.url('triggers'),
      {
        trigger: {
          title: `${name}: end-user ticket or comment`,
          active: true,
          conditions: TRIGGER_CONDITIONS,
          actions: [{ field: 'notification_webhook', value: [webhook.id, TRIGGER_BODY] }],
        },
      },
      TriggerOne,
    );
    trigger = created.trigger;
  }

  return { endpoint, webhookId: webhook.id, triggerId: trigger.id, secret: signing.secret, createdWebhook, createdTrigger };
}

/** What `--print` shows: the same setup done by hand in Admin Center. */
export function manualSteps(hubUrl: string, connectionId: string, connectionName: string): string {
  const endpoint = webhookEndpoint(hubUrl, connectionId);
  return [
    `Zendesk setup for connection ${connectionName}, by hand:`,
    '',
    '1. Admin Center > Apps and integrations > Webhooks > Create webhook > "Trigger or automation".',
    `   Name: ${webhookName(connectionName)}`,
    `   Endpoint URL: ${endpoint}`,
    '   Request method: POST   Request format: JSON   Authentication: None (requests are signed)',
    '2. Open the new webhook, "Signing secret" > Reveal secret, and store it in tuneloop (it is sealed at rest):',
    `   tuneloop zendesk secret ${connectionName}    (paste the secret on stdin)`,
    '3. Admin Center > Objects and rules > Business rules > Triggers > Create trigger.',
    `   Name: ${webhookName(connectionName)}: end-user ticket or comment`,
    '   Meet ALL of: "Current user" Is "(end user)"',
    '   Meet ANY of: "Ticket" Is "Created";  "Comment" Is "Public"',
    `   Action: "Notify by" > Active webhook > ${webhookName(connectionName)}, JSON body:`,
    `   ${TRIGGER_BODY}`,
    '4. Create the ticket from an end-user address and check `tuneloop_webhook_deliveries_total` on /metrics.',
    '',
  ].join('\n');
}

export const zendeskWebhookInstaller: WebhookInstaller = {
  async install(settings, credentials, target) {
    const result = await installZendeskWebhook({ settings: ZendeskSettings.parse(settings), credentials: ZendeskCredentials.parse(credentials), ...target });
    return { ...result, triggerId: String(result.triggerId) };
  },
  manualSteps,
};
