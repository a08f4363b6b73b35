/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/), made by the `standardwebhooks`
 * package that receivers are told to verify with: the secret is `whsec_` + base64 of the key; each
 * request carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

const PREFIX = 'whsec_';

export function newSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

export function signedHeaders(secret: string, id: string, body: string, now = new Date()): Record<string, string> {
  // The library signs whole seconds; the header carries the same truncated timestamp.
  const timestamp = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp.getTime() / 1000), 'webhook-signature': new Webhook(secret).sign(id, timestamp, body) };
}
