/**
 * Slack's request signature (https://docs.slack.dev/authentication/verifying-requests-from-slack):
 * X-Slack-Signature is "v0=" + hex HMAC-SHA256, keyed with the app's signing secret, of
 * "v0:" + X-Slack-Request-Timestamp + ":" + the raw body; apps reject timestamps more than five
 * minutes old (replays). The faults let tests check that the app answers 401.
 */
import { createHmac } from 'node:crypto';
import type { SignatureMode } from './records.ts';

/** Old enough for any app that follows Slack's five-minute rule to refuse. */
const STALE_SECONDS = 6 * 60;

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** X-Slack-Request-Timestamp and X-Slack-Signature for a body, signed as `mode` says. */
export function signatureHeaders(secret: string, body: string, mode: SignatureMode, nowMs: number): Record<string, string> {
  const now = Math.floor(nowMs / 1000);
  const timestamp = mode === 'stale' ? now - STALE_SECONDS : now;
  const headers: Record<string, string> = { 'X-Slack-Request-Timestamp': String(timestamp) };
  if (mode === 'missing') return headers;
  headers['X-Slack-Signature'] = slackSignature(mode === 'wrong' ? `${secret}-not` : secret, timestamp, body);
  return headers;
}
