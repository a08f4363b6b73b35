/**
 * The Webhooks and Triggers endpoints `tuneloop zendesk install` uses, with Zendesk's shapes:
 * - https://developer.zendesk.com/api-reference/webhooks/webhooks-api/webhooks/
 *   GET /webhooks (cursor pagination: page[size], page[after]; filter[name_contains]),
 *   POST /webhooks (201), GET /webhooks/{id}, GET /webhooks/{id}/signing_secret
 * - https://developer.zendesk.com/api-reference/ticketing/business-rules/triggers/
 *   GET /triggers (offset pagination: page, per_page ≤ 100), POST /triggers (201)
 * Webhook ids are strings ("01G…"), trigger ids numbers, as Zendesk's are. `deliver` plays
 * Zendesk's part afterwards: it POSTs a trigger's JSON body to its webhook, signed with the
 * webhook's secret, so tests can follow a ticket event all the way into the hub.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { SandboxEnv, SandboxState } from './faults.ts';
import { invalidValue, parseId, recordInvalid, recordNotFound } from './http.ts';
import type { ZendeskSandboxStore } from './store.ts';

export interface StoredWebhook {
  id: string;
  name: string;
  endpoint: string;
  http_method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  request_format: 'json' | 'xml' | 'form_encoded';
  status: 'active' | 'inactive';
  subscriptions: string[];
  secret: string;
  created_at: string;
}

export interface StoredTrigger {
  id: number;
  title: string;
  active: boolean;
  conditions: { all: Condition[]; any: Condition[] };
  actions: Array<{ field: string; value: unknown }>;
  created_at: string;
}

type Condition = z.infer<typeof ConditionInput>;

export interface SandboxWebhooks {
  webhooks: Map<string, StoredWebhook>;
  triggers: Map<number, StoredTrigger>;
  /** Runs every active trigger that notifies a webhook, for `ticketId`; resolves to the HTTP statuses. */
  deliver(ticketId: number): Promise<number[]>;
}

const ConditionInput = z.object({ field: z.string().min(1), operator: z.string().min(1), value: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional() });

const WebhookCreate = z.object({
  webhook: z.object({
    name: z.string().min(1),
    endpoint: z.url(),
    http_method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    request_format: z.enum(['json', 'xml', 'form_encoded']),
    status: z.enum(['active', 'inactive']),
    subscriptions: z.array(z.string()).optional(),
  }),
});

const TriggerCreate = z.object({
  trigger: z.object({
    title: z.string().min(1),
    active: z.boolean().optional(),
    conditions: z.object({ all: z.array(ConditionInput).optional(), any: z.array(ConditionInput).optional() }),
    actions: z.array(z.object({ field: z.string().min(1), value: z.unknown() })).min(1),
  }),
});

const registries = new WeakMap<ZendeskSandboxStore, SandboxWebhooks>();

/** A sandbox's webhooks and triggers, by its store (`sandbox.store`): for tests, what exists, and delivering events. */
export function sandboxWebhooks(store: ZendeskSandboxStore): SandboxWebhooks {
  let registry = registries.get(store);
  if (!registry) {
    const webhooks = new Map<string, StoredWebhook>();
    const triggers = new Map<number, StoredTrigger>();
    registry = {
      webhooks,
      triggers,
      async deliver(ticketId) {
        const statuses: number[] = [];
        for (const trigger of triggers.values()) {
          if (!trigger.active) continue;
          for (const action of trigger.actions) {
            if (action.field !== 'notification_webhook' || !Array.isArray(action.value)) continue;
            const [webhookId, template] = action.value as [string, string];
            const webhook = webhooks.get(webhookId);
            if (!webhook || webhook.status !== 'active') continue;
            // The placeholders tuneloop's body uses, rendered as Zendesk would.
            const body = template.replaceAll('{{ticket.id}}', String(ticketId)).replaceAll('{{ticket.updated_at_with_timestamp}}', new Date().toISOString());
            const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
            const signature = createHmac('sha256', webhook.secret).update(timestamp + body).digest('base64');
            const response = await fetch(webhook.endpoint, {
              method: webhook.http_method,
              headers: {
                'content-type': 'application/json',
                'x-zendesk-webhook-id': webhook.id,
                'x-zendesk-webhook-invocation-id': String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
                'x-zendesk-webhook-signature-timestamp': timestamp,
                'x-zendesk-webhook-signature': signature,
              },
              body,
            });
            await response.arrayBuffer();
            statuses.push(response.status);
          }
        }
        return statuses;
      },
    };
    registries.set(store, registry);
  }
  return registry;
}

async function readJson(c: Context<SandboxEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

function webhookJson({ secret: _secret, ...webhook }: StoredWebhook) {
  return { ...webhook, created_by: '-1', updated_at: webhook.created_at };
}

function triggerJson(trigger: StoredTrigger, origin: string) {
  return { url: `${origin}/api/v2/triggers/${trigger.id}.json`, ...trigger, position: trigger.id, updated_at: trigger.created_at, raw_title: trigger.title };
}

export function webhookRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  const registry = sandboxWebhooks(state.store);
  let nextTrigger = 360_100_000_001;

  app.get('/webhooks', (c) => {
    const size = Number(c.req.query('page[size]') ?? 100);
    if (!Number.isInteger(size) || size < 1 || size > 100) return invalidValue(c, 'page[size] must be between 1 and 100');
    const nameContains = c.req.query('filter[name_contains]')?.toLowerCase();
    const after = c.req.query('page[after]');
    const all = [...registry.webhooks.values()].filter((webhook) => !nameContains || webhook.name.toLowerCase().includes(nameContains));
    const start = after ? all.findIndex((webhook) => webhook.id === after) + 1 : 0;
    const page = all.slice(start, start + size);
    const hasMore = start + size < all.length;
    const last = page.at(-1)?.id ?? null;
    const origin = c.get('origin');
    return c.json({
      webhooks: page.map(webhookJson),
      meta: { has_more: hasMore, after_cursor: hasMore ? last : null, before_cursor: page[0]?.id ?? null },
      links: { next: hasMore && last ? `${origin}/api/v2/webhooks?page[after]=${last}&page[size]=${size}` : null, prev: null },
    });
  });

  app.post('/webhooks', async (c) => {
    const input = WebhookCreate.safeParse(await readJson(c));
    if (!input.success) return recordInvalid(c, input.error.issues[0]?.message ?? 'invalid webhook');
    const id = `01${randomBytes(12).toString('hex').toUpperCase()}`;
    const webhook: StoredWebhook = {
      ...input.data.webhook,
      subscriptions: input.data.webhook.subscriptions ?? [],
      id,
      secret: randomBytes(32).toString('base64url'),
      created_at: new Date().toISOString(),
    };
    registry.webhooks.set(id, webhook);
    return c.json({ webhook: webhookJson(webhook) }, 201);
  });

  app.get('/webhooks/:id', (c) => {
    const webhook = registry.webhooks.get(c.req.param('id'));
    return webhook ? c.json({ webhook: webhookJson(webhook) }) : recordNotFound(c);
  });

  app.get('/webhooks/:id/signing_secret', (c) => {
    const webhook = registry.webhooks.get(c.req.param('id'));
    return webhook ? c.json({ signing_secret: { algorithm: 'SHA256', secret: webhook.secret } }) : recordNotFound(c);
  });

  app.get('/triggers', (c) => {
    const perPage = Number(c.req.query('per_page') ?? 100);
    const page = Number(c.req.query('page') ?? 1);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100 || !Number.isInteger(page) || page < 1) return invalidValue(c, 'invalid page or per_page');
    const all = [...registry.triggers.values()];
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const origin = c.get('origin');
    const hasNext = page * perPage < all.length;
    return c.json({
      triggers: slice.map((trigger) => triggerJson(trigger, origin)),
      next_page: hasNext ? `${origin}/api/v2/triggers.json?page=${page + 1}&per_page=${perPage}` : null,
      previous_page: page > 1 ? `${origin}/api/v2/triggers.json?page=${page - 1}&per_page=${perPage}` : null,
      count: all.length,
    });
  });

  app.post('/triggers', async (c) => {
    const input = TriggerCreate.safeParse(await readJson(c));
    if (!input.success) return recordInvalid(c, input.error.issues[0]?.message ?? 'invalid trigger');
    for (const action of input.data.trigger.actions) {
      if (action.field !== 'notification_webhook') continue;
      const value = action.value;
      if (!Array.isArray(value) || typeof value[0] !== 'string' || !registry.webhooks.has(value[0])) return recordInvalid(c, 'notification_webhook must name an existing webhook');
    }
    const { title, active = true, conditions, actions } = input.data.trigger;
    const trigger: StoredTrigger = { id: nextTrigger++, title, active, conditions: { all: conditions.all ?? [], any: conditions.any ?? [] }, actions, created_at: new Date().toISOString() };
    registry.triggers.set(trigger.id, trigger);
    return c.json({ trigger: triggerJson(trigger, c.get('origin')) }, 201);
  });

  app.get('/triggers/:id', (c) => {
    const id = parseId(c.req.param('id'));
    const trigger = id === null ? undefined : registry.triggers.get(id);
    return trigger ? c.json({ trigger: triggerJson(trigger, c.get('origin')) }) : recordNotFound(c);
  });

  return app;
}
