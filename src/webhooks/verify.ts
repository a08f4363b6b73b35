/**
 * Signature checks for inbound webhooks, over the RAW body bytes the vendor signed (never a
 * re-serialised parse). Pure functions: no I/O, the clock is a parameter. Every comparison is
 * constant-time over equal-length digests (timingSafeEqual), so a forged signature learns nothing
 * from how long the answer took.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Deliveries signed longer ago than this (or this far in the future) are refused as replays. */
export const MAX_SKEW_MS = 5 * 60 * 1000;

export type Verdict = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

const OK: Verdict = { ok: true };

function hmac(secret: string, parts: Array<string | Uint8Array>): Buffer {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Constant-time: a wrong length is a mismatch, decided without looking at the bytes. */
function sameDigest(expected: Buffer, provided: Buffer): boolean {
  return expected.length === provided.length && timingSafeEqual(expected, provided);
}

function fresh(timestampMs: number, nowMs: number): boolean {
  return Number.isFinite(timestampMs) && Math.abs(nowMs - timestampMs) <= MAX_SKEW_MS;
}

/** Zendesk timestamps are ISO 8601 ("2026-11-25T15:00:00Z"); accept Unix seconds too. */
function parseZendeskTimestamp(value: string): number {
  if (/^\d{9,11}$/.test(value)) return Number(value) * 1000;
  return Date.parse(value);
}

/**
 * https://developer.zendesk.com/documentation/webhooks/verifying/
 * X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(signing secret, timestamp + body)),
 * the timestamp being X-Zendesk-Webhook-Signature-Timestamp as sent.
 */
export function verifyZendesk(secret: string, signature: string | undefined, timestamp: string | undefined, rawBody: Uint8Array, nowMs: number): Verdict {
  if (!signature || !timestamp) return { ok: false, reason: 'missing' };
  const expected = hmac(secret, [timestamp, rawBody]);
  if (!sameDigest(expected, Buffer.from(signature, 'base64'))) return { ok: false, reason: 'mismatch' };
  // Checked after the signature so a forger cannot probe our clock; a signed stale one is a replay.
  if (!fresh(parseZendeskTimestamp(timestamp), nowMs)) return { ok: false, reason: 'stale' };
  return OK;
}

/**
 * https://developers.hubspot.com/docs/api/webhooks/validating-requests ("Validate the v3 request signature")
 * X-HubSpot-Signature-v3 = base64(HMAC-SHA256(app client secret, method + decoded URI + body + timestamp)),
 * X-HubSpot-Request-Timestamp in milliseconds; older than 5 minutes is rejected.
 * `uri` is the full URL HubSpot called (scheme, host, path, query), URL-decoded.
 */
export function verifyHubSpotV3(
  secret: string,
  request: { method: string; uri: string; signature: string | undefined; timestamp: string | undefined },
  rawBody: Uint8Array,
  nowMs: number,
): Verdict {
  const { signature, timestamp } = request;
  if (!signature || !timestamp || !/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'missing' };
  const expected = hmac(secret, [request.method.toUpperCase(), decodeUri(request.uri), rawBody, timestamp]);
  if (!sameDigest(expected, Buffer.from(signature, 'base64'))) return { ok: false, reason: 'mismatch' };
  if (!fresh(Number(timestamp), nowMs)) return { ok: false, reason: 'stale' };
  return OK;
}

/** HubSpot decodes these percent-escapes (and only these) before signing. */
const HUBSPOT_DECODES: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$', '%27': "'",
  '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

export function decodeUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (match) => HUBSPOT_DECODES[match.toUpperCase()] ?? match);
}

/**
 * Our own scheme for Salesforce Flow/Apex callouts (Salesforce has no webhook signing of its own):
 * X-Tuneloop-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>, X-Tuneloop-Timestamp
 * in Unix seconds. Flow HTTP Callouts cannot compute an HMAC, so `Authorization: Bearer <secret>`
 * is accepted as well (no replay window then; the delivery id still dedups).
 */
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
    const expected = hmac(secret, [timestamp, '.', rawBody]);
    if (!sameDigest(expected, Buffer.from(match[1], 'hex'))) return { ok: false, reason: 'mismatch' };
    if (!fresh(Number(timestamp) * 1000, nowMs)) return { ok: false, reason: 'stale' };
    return OK;
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (!bearer) return { ok: false, reason: 'missing' };
  // Compare digests, not the strings: equal lengths whatever the caller sent.
  const digest = (value: string) => createHmac('sha256', 'tuneloop-bearer').update(value).digest();
  return sameDigest(digest(secret), digest(bearer)) ? OK : { ok: false, reason: 'mismatch' };
}

/** For tests, benches and docs: the headers a vendor would send. */
export const sign = {
  zendesk(secret: string, timestamp: string, body: string | Uint8Array): string {
    return hmac(secret, [timestamp, body]).toString('base64');
  },
  hubspotV3(secret: string, method: string, uri: string, body: string | Uint8Array, timestampMs: string): string {
    return hmac(secret, [method, decodeUri(uri), body, timestampMs]).toString('base64');
  },
  salesforce(secret: string, timestampSeconds: string, body: string | Uint8Array): string {
    return `sha256=${hmac(secret, [timestampSeconds, '.', body]).toString('hex')}`;
  },
};
