/**
 * /webhooks/{zendesk,hubspot,salesforce}/:connectionId — inbound vendor webhooks. NOT behind the
 * API's bearer tokens: each vendor signs its requests, and that signature is checked over the raw
 * body before anything is parsed (an unverified body is never parsed). Then zod, then one transaction
 * that records the delivery and enqueues its jobs only if it is new (src/webhooks/ingest.ts). The
 * answer is a quick 200; the work happens in jobs.
 *
 * An unknown connection, a connection of another vendor, one without a webhook secret and a bad
 * signature all get the same 401, so the endpoint does not reveal which connection ids exist. The
 * connection is looked up before the body is read: a request for no connection costs no upload.
 */
import { Hono, type Context } from 'hono';
import { VENDORS, WEBHOOK_SOURCES } from '../../integrations/registry.ts';
import type { InboundRequest } from '../../integrations/types.ts';
import type { AppDeps } from '../deps.ts';
import { BodyTooLarge, readBoundedBody } from '../webhooks/body.ts';
import { createIngester, type Ingester } from '../webhooks/ingest.ts';
import { webhookDeliveries, type WebhookOutcome } from '../webhooks/metrics.ts';
import { EndpointCache } from '../webhooks/secrets.ts';
import { errorBody } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The URL the vendor called: behind a TLS proxy, the forwarded scheme and host (HubSpot signs it). */
function publicUrl(c: Context): string {
  const url = new URL(c.req.url);
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
  const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
  // Rebuilt as text: URL's host setter keeps the old port when the new host has none.
  const scheme = proto === 'http' || proto === 'https' ? proto : url.protocol.slice(0, -1);
  return `${scheme}://${host || url.host}${url.pathname}${url.search}`;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(body));
  } catch {
    return undefined;
  }
}

export function webhookRoutes(deps: AppDeps, options: { now?: () => number; endpoints?: EndpointCache } = {}) {
  const now = options.now ?? Date.now;
  const endpoints = options.endpoints ?? new EndpointCache(deps.database.db, deps.keyring);
  const ingester: Ingester | null = deps.queue ? createIngester(deps.database.db, deps.queue) : null;
  const app = new Hono();

  for (const vendor of WEBHOOK_SOURCES) {
    const webhook = VENDORS[vendor].webhook;
    if (!webhook) continue;
    const answer = (c: Context, outcome: WebhookOutcome, status: 400 | 401 | 413 | 503, code: string, message: string) => {
      webhookDeliveries.inc({ vendor, outcome });
      return c.json(errorBody(code, message), status);
    };

    app.post(`/${vendor}/:connectionId`, async (c) => {
      const connectionId = c.req.param('connectionId');
      const unauthorized = () => answer(c, 'unauthorized', 401, 'unauthorized', 'signature verification failed');
      const endpoint = UUID.test(connectionId) ? await endpoints.get(connectionId.toLowerCase()) : null;
      if (!endpoint || endpoint.vendor !== vendor) return unauthorized();
      let body: Uint8Array;
      try {
        body = await readBoundedBody(c.req.raw);
      } catch (error) {
        if (error instanceof BodyTooLarge) return answer(c, 'too_large', 413, 'payload_too_large', error.message);
        throw error;
      }
      const request: InboundRequest = { method: c.req.method, url: publicUrl(c), header: (name) => c.req.header(name), body };
      const verdict = webhook.verify(request, endpoint.secret, now());
      if (!verdict.ok) return verdict.reason === 'stale' ? answer(c, 'stale', 401, 'unauthorized', 'signature timestamp outside the 5-minute window') : unauthorized();

      const events = webhook.events(request, parseJson(body), { settings: endpoint.settings });
      if (!events) return answer(c, 'malformed', 400, 'invalid_request', `not a ${vendor} webhook payload this endpoint understands`);
      if (!ingester) return answer(c, 'unavailable', 503, 'unavailable', 'the job queue is not running; retry later');
      const result = await ingester.ingest(endpoint.connectionId, vendor, events);
      webhookDeliveries.inc({ vendor, outcome: result.accepted > 0 ? 'accepted' : 'duplicate' });
      return c.json({ ok: true, accepted: result.accepted, duplicates: result.duplicates });
    });
  }
  return app;
}
