/**
 * Intercom's inbound webhooks: the signature check and the notifications it posts.
 *
 * https://developers.intercom.com/docs/references/webhooks/webhook-models (notification_event) and
 * https://developers.intercom.com/docs/webhooks/setting-up-webhooks ("Signed notifications"):
 * X-Hub-Signature = "sha1=" + hex(HMAC-SHA1(the app's client secret, raw body)). There is no
 * timestamp to check against a window, so a replayed notification is caught by its id alone: the
 * notification id is the delivery id, the same across Intercom's retries of that notification.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { sameDigest, VERIFIED } from '../common/signatures.ts';
import type { InboundWebhook, Verdict, WebhookEvent } from '../types.ts';

export function verifyIntercom(secret: string, signature: string | undefined, rawBody: Uint8Array): Verdict {
  const match = /^sha1=([0-9a-f]{40})$/i.exec(signature?.trim() ?? '');
  if (!match?.[1]) return { ok: false, reason: 'missing' };
  const expected = createHmac('sha1', secret).update(rawBody).digest();
  return sameDigest(expected, Buffer.from(match[1], 'hex')) ? VERIFIED : { ok: false, reason: 'mismatch' };
}

/** The signature header Intercom would send: for tests, benches and the sandbox. */
export function signIntercom(secret: string, body: string | Uint8Array): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

const vendorId = z.union([z.string().regex(/^[\w.:-]{1,200}$/), z.number().int().nonnegative()]).transform(String);

export const IntercomNotification = z.object({
  type: z.literal('notification_event'),
  id: vendorId,
  topic: z.string().min(1).max(100),
  app_id: z.string().optional(),
  created_at: z.number().int().optional(),
  delivery_attempts: z.number().int().optional(),
  data: z.object({ item: z.object({ type: z.string(), id: vendorId.optional() }).loose().nullish() }).loose().nullish(),
});

/** A customer wrote: a new conversation or a reply. Notes and admin replies (tuneloop's own included) are not. */
const ACTIONABLE = new Set(['conversation.user.created', 'conversation.user.replied']);

export function intercomEvents(notification: z.infer<typeof IntercomNotification>): WebhookEvent[] {
  const item = notification.data?.item;
  const sourceId = item && item.type === 'conversation' && item.id !== undefined ? item.id : null;
  return [{ deliveryId: `intercom:${notification.id}`, event: notification.topic, sourceId, actionable: sourceId !== null && ACTIONABLE.has(notification.topic) }];
}

export const intercomWebhook: InboundWebhook = {
  // Pure and clock-free: Intercom signs no time (the clock parameter goes unused).
  verify: (request, secret) => verifyIntercom(secret, request.header('x-hub-signature'), request.body),
  events(_request, json) {
    const notification = IntercomNotification.safeParse(json);
    return notification.success ? intercomEvents(notification.data) : null;
  },
};
