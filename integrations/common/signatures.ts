/**
 * What every vendor's webhook signature check shares: an HMAC-SHA256 over the RAW body bytes the
 * vendor signed (never a re-serialised parse), a constant-time compare over equal-length digests,
 * and a replay window. Pure: no I/O, the clock is a parameter.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Verdict } from '../types.ts';

/** Deliveries signed longer ago than this (or this far in the future) are refused as replays. */
export const MAX_SKEW_MS = 5 * 60 * 1000;

export const VERIFIED: Verdict = { ok: true };

export function hmacSha256(secret: string, parts: Array<string | Uint8Array>): Buffer {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Constant-time: a wrong length is a mismatch, decided without looking at the bytes. */
export function sameDigest(expected: Buffer, provided: Buffer): boolean {
  return expected.length === provided.length && timingSafeEqual(expected, provided);
}

export function withinWindow(timestampMs: number, nowMs: number): boolean {
  return Number.isFinite(timestampMs) && Math.abs(nowMs - timestampMs) <= MAX_SKEW_MS;
}
