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
 * A JSON array of up to 100 events (https://developers.hubspot.com/docs/api/webhooks, "Webhook payloads"); each
 * has its own eventId, so each is deduplicated on its own.
 */
const HubSpotEvent = z.object({
  eventId: vendorId,
  subscriptionId: z.number().int().optional(),
  portalId: z.number().int().optional(),
  occurredAt: z.number().int().optional(),
  subscriptionType: z.string().min(1).max(100),
  attemptNumber: z.number().int().optional(),
  objectId: vendorId,
  changeSource: z.string().optional(),
  messageType: z.string().optional(),
});
export const HubSpotPayload = z.array(HubSpotEvent).min(1).max(1000);

const ACTIONABLE = new Set(['ticket.creation', 'conversation.creation', 'conversation.newMessage']);

export function hubspotEvents(payload: z.infer<typeof HubSpotPayload>): WebhookEvent[] {
  return payload.map((event) => ({
    deliveryId: `hubspot:${event.eventId}`,
    event: event.subscriptionType,
    sourceId: event.objectId,
    // Internal notes (COMMENT) on a thread are our own agents talking, not the customer.
    actionable: ACTIONABLE.has(event.subscriptionType) && event.messageType !== 'COMMENT',
  }));
}

export const hubspotWebhook: InboundWebhook = {
  verify: (request, secret, nowMs) =>
    verifyHubSpotV3(
      secret,
      { method: request.method, uri: request.url, signature: request.header('x-hubspot-signature-v3'), timestamp: request.header('x-hubspot-request-timestamp') },
      request.body,
      nowMs,
    ),
  events(_request, json) {
    const payload = HubSpotPayload.safeParse(json);
    return payload.success ? hubspotEvents(payload.data) : null;
  },
};
