/**
 * HubSpot's inbound webhooks: the v3 signature check and the event batches it posts.
 *
 * https://developers.hubspot.com/docs/api/webhooks/validating-requests ("Validate the v3 request signature")
 * X-HubSpot-Signature-v3 = base64(HMAC-SHA256(app client secret, method + decoded URI + body + timestamp)),
 * X-HubSpot-Request-Timestamp in milliseconds; older than 5 minutes is rejected. The URI is the
 * full URL HubSpot called (scheme, host, path, query), URL-decoded.
 */
import { z } from 'zod';
import { hmacSha256, sameDigest, VERIFIED, withinWindow } from '../common/signatures.ts';
import type { InboundWebhook, Verdict, WebhookEvent } from '../types.ts';

/** HubSpot decodes these percent-escapes (and only these) before signing. */
const DECODES: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$', '%27': "'",
  '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

export function decodeUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (match) => DECODES[match.toUpperCase()] ?? match);
}

export function verifyHubSpotV3(
  secret: string,
  request: { method: string; uri: string; signature: string | undefined; timestamp: string | undefined },
  rawBody: Uint8Array,
  nowMs: number,
): Verdict {
  const { signature, timestamp } = request;
  if (!signature || !timestamp || !/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'missing' };
  const expected = hmacSha256(secret, [request.method.toUpperCase(), decodeUri(request.uri), rawBody, timestamp]);
  if (!sameDigest(expected, Buffer.from(signature, 'base64'))) return { ok: false, reason: 'mismatch' };
  if (!withinWindow(Number(timestamp), nowMs)) return { ok: false, reason: 'stale' };
  return VERIFIED;
}

/** The signature header HubSpot would send: for tests, benches and the sandbox. */
export function signHubSpotV3(secret: string, method: string, uri: string, body: string | Uint8Array, timestampMs: string): string {
  return hmacSha256(secret, [method, decodeUri(uri), body, timestampMs]).toString('base64');
}

const vendorId = z.union([z.string().regex(/^[\w.:-]{1,200}$/), z.number().int().nonnegative()]).transform(String);

/**
 * A JSON array of up to 100 events (https://developers.hubspot.com/docs/api/webhooks, "Webhook payloads").
 * Legacy subscriptions name the object in the type ("ticket.creation", "conversation.newMessage");
 * generic ones (https://developers.hubspot.com/changelog/public-beta-generic-webhook-subscriptions)
 * say "object.creation" and carry the object's type in objectTypeId ("0-5" is a ticket).
 */
const HubSpotEvent = z.object({
  eventId: vendorId,
  subscriptionId: z.number().int().optional(),
  portalId: z.number().int().optional(),
  appId: z.number().int().optional(),
  occurredAt: z.number().int().optional(),
  subscriptionType: z.string().min(1).max(100),
  attemptNumber: z.number().int().optional(),
  objectId: vendorId,
  objectTypeId: z.string().max(50).optional(),
  changeSource: z.string().optional(),
  propertyName: z.string().max(200).optional(),
  messageId: z.string().max(200).optional(),
  messageType: z.string().optional(),
});
export const HubSpotPayload = z.array(HubSpotEvent).min(1).max(1000);
type HubSpotEvent = z.infer<typeof HubSpotEvent>;

const TICKET_TYPE_ID = '0-5';
const ACTIONABLE = new Set(['ticket.creation', 'conversation.creation', 'conversation.newMessage']);

/** What the event is about, as the legacy type names it ("ticket.creation" for object.creation on a ticket). */
function eventName(event: HubSpotEvent): string {
  if (!event.subscriptionType.startsWith('object.')) return event.subscriptionType;
  const kind = event.objectTypeId === TICKET_TYPE_ID ? 'ticket' : `object:${event.objectTypeId ?? 'unknown'}`;
  return `${kind}.${event.subscriptionType.slice('object.'.length)}`;
}

/** The conversation id the hub uses: `ticket:<id>` or `thread:<id>`; null for other objects. */
function sourceIdOf(name: string, objectId: string): string | null {
  if (name.startsWith('ticket.')) return `ticket:${objectId}`;
  if (name.startsWith('conversation.')) return `thread:${objectId}`;
  return null;
}

/**
 * HubSpot documents eventId as not guaranteed to be unique, so the dedup key is everything that
 * names one event: subscription, object, event id and when it occurred (and the property or message
 * it is about). A retry of the same delivery repeats all of them; only attemptNumber changes.
 */
function deliveryKey(event: HubSpotEvent): string {
  const parts = [event.portalId ?? '', event.subscriptionId ?? event.subscriptionType, event.objectTypeId ?? '', event.objectId, event.eventId, event.occurredAt ?? '', event.propertyName ?? event.messageId ?? ''];
  return `hubspot:${parts.join(':')}`;
}

export function hubspotEvents(payload: z.infer<typeof HubSpotPayload>): WebhookEvent[] {
  return payload.map((event) => {
    const name = eventName(event);
    const sourceId = sourceIdOf(name, event.objectId);
    return {
      deliveryId: deliveryKey(event),
      event: name,
      sourceId,
      // Internal notes (COMMENT) on a thread are our own agents talking, not the customer.
      actionable: sourceId !== null && ACTIONABLE.has(name) && event.messageType !== 'COMMENT',
    };
  });
}

const PortalSetting = z.object({ portalId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]).optional() }).loose();

/**
 * An app's client secret signs the deliveries of every account that installed it, so a valid
 * signature does not say which account an event is about: with the connection's portalId set,
 * events of any other portal (or none) are dropped.
 */
export function ofConnectionPortal(payload: z.infer<typeof HubSpotPayload>, settings: unknown): z.infer<typeof HubSpotPayload> {
  const parsed = PortalSetting.safeParse(settings);
  const portalId = parsed.success ? parsed.data.portalId : undefined;
  return portalId === undefined ? payload : payload.filter((event) => event.portalId === portalId);
}

export const hubspotWebhook: InboundWebhook = {
  verify: (request, secret, nowMs) =>
    verifyHubSpotV3(
      secret,
      { method: request.method, uri: request.url, signature: request.header('x-hubspot-signature-v3'), timestamp: request.header('x-hubspot-request-timestamp') },
      request.body,
      nowMs,
    ),
  events(_request, json, connection) {
    const payload = HubSpotPayload.safeParse(json);
    return payload.success ? hubspotEvents(connection ? ofConnectionPortal(payload.data, connection.settings) : payload.data) : null;
  },
};
