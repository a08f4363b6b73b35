/**
 * Salesforce's inbound webhooks. Salesforce has no webhook signing of its own, so our Flow/Apex
 * callouts use our scheme: X-Tuneloop-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." +
 * body)>, X-Tuneloop-Timestamp in Unix seconds. Flow HTTP Callouts cannot compute an HMAC, so
 * `Authorization: Bearer <secret>` is accepted as well. A bearer request signs nothing, so its
 * replay window is the body's own `timestamp` (BEARER_WINDOW_MS, shorter than the dedup records
 * are kept): a captured request replayed after its delivery record was pruned is refused as stale.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { hmacSha256, sameDigest, VERIFIED, withinWindow } from '../common/signatures.ts';

/** Flow callouts may wait in an asynchronous path; a day is far inside the 30-day dedup window. */
export const BEARER_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The body's `timestamp`, read only after the bearer matched; NaN when there is none. */
function bodyTimestamp(rawBody: Uint8Array): number {
  try {
    const parsed = SalesforceTimestamp.safeParse(JSON.parse(Buffer.from(rawBody).toString('utf8')));
    return parsed.success ? Date.parse(parsed.data.timestamp) : NaN;
  } catch {
    return NaN;
  }
}
import type { InboundWebhook, Verdict, WebhookEvent } from '../types.ts';

export function verifySalesforce(
  secret: string,
  request: { signature: string | undefined; timestamp: string | undefined; authorization: string | undefined },
  rawBody: Uint8Array,
  nowMs: number,
): Verdict {
  const { signature, timestamp, authorization } = request;
  if (signature !== undefined) {
    const match = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
    if (!match?.[1] || !timestamp || !/^\d{9,11}$/.test(timestamp)) return { ok: false, reason: 'missing' };
    const expected = hmacSha256(secret, [timestamp, '.', rawBody]);
    if (!sameDigest(expected, Buffer.from(match[1], 'hex'))) return { ok: false, reason: 'mismatch' };
    if (!withinWindow(Number(timestamp) * 1000, nowMs)) return { ok: false, reason: 'stale' };
    return VERIFIED;
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (!bearer) return { ok: false, reason: 'missing' };
  // Compare digests, not the strings: equal lengths whatever the caller sent.
  const digest = (value: string) => createHmac('sha256', 'tuneloop-bearer').update(value).digest();
  if (!sameDigest(digest(secret), digest(bearer))) return { ok: false, reason: 'mismatch' };
  const sent = bodyTimestamp(rawBody);
  return Number.isFinite(sent) && Math.abs(nowMs - sent) <= BEARER_WINDOW_MS ? VERIFIED : { ok: false, reason: 'stale' };
}

/** The signature header our callout sends: for tests, benches and the README's Apex example. */
export function signSalesforce(secret: string, timestampSeconds: string, body: string | Uint8Array): string {
  return `sha256=${hmacSha256(secret, [timestampSeconds, '.', body]).toString('hex')}`;
}

/**
 * The body our Flow/Apex callout sends (README "Webhooks"):
 * {"id":"500…","event":"case.created"|"comment.added","timestamp":"2026-11-25T15:00:00.000Z"}.
 * id + timestamp identify the delivery: a Flow retry re-sends both unchanged.
 */
const SalesforceTimestamp = z.object({ timestamp: z.iso.datetime({ offset: true }) });

export const SalesforcePayload = z.object({
  id: z.string().regex(/^[a-zA-Z0-9]{15,18}$/, 'a Salesforce record id'),
  event: z.enum(['case.created', 'comment.added', 'case.updated']),
  timestamp: z.iso.datetime({ offset: true }),
  commentId: z.string().regex(/^[a-zA-Z0-9]{15,18}$/).optional(),
});

export function salesforceEvents(payload: z.infer<typeof SalesforcePayload>): WebhookEvent[] {
  return [
    {
      deliveryId: `${payload.id}:${payload.commentId ?? ''}:${payload.timestamp}`,
      event: payload.event,
      sourceId: payload.id,
      actionable: payload.event !== 'case.updated',
    },
  ];
}

export const salesforceWebhook: InboundWebhook = {
  verify: (request, secret, nowMs) =>
    verifySalesforce(
      secret,
      { signature: request.header('x-tuneloop-signature'), timestamp: request.header('x-tuneloop-timestamp'), authorization: request.header('authorization') },
      request.body,
      nowMs,
    ),
  events(_request, json) {
    const payload = SalesforcePayload.safeParse(json);
    return payload.success ? salesforceEvents(payload.data) : null;
  },
};
