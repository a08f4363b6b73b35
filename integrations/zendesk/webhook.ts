/**
 * Zendesk's inbound webhooks: the signature check and the payloads it posts.
 *
 * https://developer.zendesk.com/documentation/webhooks/verifying/
 * X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(signing secret, timestamp + body)), the timestamp
 * being X-Zendesk-Webhook-Signature-Timestamp as sent. The delivery id is the
 * X-Zendesk-Webhook-Invocation-Id header, the same across Zendesk's retries.
 */
import { z } from 'zod';
import { hmacSha256, sameDigest, VERIFIED, withinWindow } from '../common/signatures.ts';
import type { InboundWebhook, Verdict, WebhookEvent } from '../types.ts';

/** Zendesk timestamps are ISO 8601 ("2026-11-25T15:00:00Z"); accept Unix seconds too. */
function parseTimestamp(value: string): number {
  if (/^\d{9,11}$/.test(value)) return Number(value) * 1000;
  return Date.parse(value);
}

/**
 * A SHA-256 digest in base64, strictly: Buffer.from(…, 'base64') also takes whitespace, url-safe
 * letters, missing padding and trailing junk, so many header texts decode to the same digest.
 */
const DIGEST_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** The decoded digest, hex: the replay key, the same whatever text carried it. */
export function zendeskDigest(signature: string): string | null {
  return DIGEST_BASE64.test(signature) ? Buffer.from(signature, 'base64').toString('hex') : null;
}

export function verifyZendesk(secret: string, signature: string | undefined, timestamp: string | undefined, rawBody: Uint8Array, nowMs: number): Verdict {
  if (!signature || !timestamp) return { ok: false, reason: 'missing' };
  const digest = zendeskDigest(signature);
  if (!digest) return { ok: false, reason: 'mismatch' };
  const expected = hmacSha256(secret, [timestamp, rawBody]);
  if (!sameDigest(expected, Buffer.from(digest, 'hex'))) return { ok: false, reason: 'mismatch' };
  // Checked after the signature so a forger cannot probe our clock; a signed stale one is a replay.
  if (!withinWindow(parseTimestamp(timestamp), nowMs)) return { ok: false, reason: 'stale' };
  return VERIFIED;
}

/** The signature header Zendesk would send: for tests, benches and the sandbox. */
export function signZendesk(secret: string, timestamp: string, body: string | Uint8Array): string {
  return hmacSha256(secret, [timestamp, body]).toString('base64');
}

const vendorId = z.union([z.string().regex(/^[\w.:-]{1,200}$/), z.number().int().nonnegative()]).transform(String);

/**
 * Two shapes reach us:
 * - a trigger's "Notify webhook" action, whose JSON body we write ourselves in `tuneloop zendesk
 *   install` (webhook-install.ts TRIGGER_BODY): {"tuneloop":1,"event":"ticket.end_user_update","ticket_id":"{{ticket.id}}"}
 * - an event subscription (https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/):
 *   {"type":"zen:event-type:ticket.created"|"zen:event-type:ticket.comment_added", "detail":{"id":"123"}, ...}
 */
const ZendeskTrigger = z.object({
  tuneloop: z.literal(1),
  event: z.enum(['ticket.end_user_update', 'ticket.created', 'comment.added']),
  ticket_id: vendorId,
  /** Makes two events on one ticket in the same second differ (and so their signatures). */
  updated_at: z.string().max(100).optional(),
});
const ZendeskEventSubscription = z.object({
  type: z.string().max(200).regex(/^zen:event-type:/),
  detail: z.object({ id: vendorId }),
  /** ticket.comment_added carries the comment: who wrote it and whether the customer sees it. */
  event: z
    .object({
      comment: z
        .object({
          is_public: z.boolean().optional(),
          author: z.object({ is_staff: z.boolean().optional() }).loose().optional(),
        })
        .loose()
        .optional(),
    })
    .loose()
    .optional(),
});
export const ZendeskPayload = z.union([ZendeskTrigger, ZendeskEventSubscription]);

const ACTIONABLE = new Set(['ticket.created', 'ticket.comment_added', 'comment.added']);

/**
 * A comment only asks for a draft when a customer wrote it for everyone to see: an internal note or
 * an agent's reply (tuneloop's own note among them) must not set off more work.
 * https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/ (Comment added)
 */
function customerComment(payload: z.infer<typeof ZendeskEventSubscription>): boolean {
  const comment = payload.event?.comment;
  if (!comment) return true;
  return comment.is_public !== false && comment.author?.is_staff !== true;
}

export function zendeskEvents(payload: z.infer<typeof ZendeskPayload>, invocationId: string, signature: string): WebhookEvent[] {
  if ('tuneloop' in payload) return [{ deliveryId: invocationId, event: payload.event, sourceId: payload.ticket_id, actionable: true, signature }];
  const event = payload.type.slice('zen:event-type:'.length);
  const actionable = ACTIONABLE.has(event) && (event !== 'ticket.comment_added' || customerComment(payload));
  return [{ deliveryId: invocationId, event, sourceId: payload.detail.id, actionable, signature }];
}

/** An invocation id as Zendesk sends it (a ULID-like token); anything else is refused with 400. */
export const ZendeskInvocationId = z.string().regex(/^[\w-]{1,100}$/);

export const zendeskWebhook: InboundWebhook = {
  verify: (request, secret, nowMs) =>
    verifyZendesk(secret, request.header('x-zendesk-webhook-signature'), request.header('x-zendesk-webhook-signature-timestamp'), request.body, nowMs),
  events(request, json) {
    const invocation = ZendeskInvocationId.safeParse(request.header('x-zendesk-webhook-invocation-id'));
    const payload = ZendeskPayload.safeParse(json);
    // Verified already, so present and strict; the replay key is the digest, not the header's text.
    const signature = zendeskDigest(request.header('x-zendesk-webhook-signature') ?? '');
    return invocation.success && payload.success && signature ? zendeskEvents(payload.data, invocation.data, signature) : null;
  },
};
