/**
 * Turns whatever an Intercom call ended with into a VendorError a person can act on: the host and
 * the operation, Intercom's own error code and message, never the token.
 * https://developers.intercom.com/docs/references/rest-api/errors/http-responses
 */
import type { z } from 'zod';
import { VendorError } from '../types.ts';
import { ErrorBody } from './schemas.ts';

/** What the client keeps of one HTTP answer. */
export interface Answer {
  status: number;
  header(name: string): string | null;
  text: string;
}

function intercomSays(text: string): { code: string | null; said: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { code: null, said: '' };
  }
  const parsed = ErrorBody.safeParse(json);
  if (!parsed.success) return { code: null, said: '' };
  const first = parsed.data.errors[0];
  const message = [first?.code, first?.message].filter(Boolean).join(': ');
  return { code: first?.code ?? null, said: message ? ` Intercom said: "${message.slice(0, 200)}".` : '' };
}

export function statusError(answer: Answer, what: string, host: string, resetAtMs: number | null): VendorError {
  const { status } = answer;
  const { code, said } = intercomSays(answer.text);
  if (status === 401) {
    return new VendorError('auth', `Intercom rejected the access token (401) for ${host}: create a new token in the Developer Hub (or reconnect the app).${said}`, { status });
  }
  if (status === 403) return new VendorError('forbidden', `missing permission (403) to ${what} on ${host}: the app needs "Read conversations" and, for write-back, "Write conversations" and "Read and write tags".${said}`, { status });
  if (status === 404) return new VendorError('not_found', `not found (404) when trying to ${what} on ${host}.${said}`, { status });
  if (status === 429) {
    // Intercom sends no Retry-After: X-RateLimit-Reset (Unix seconds) says when the window reopens.
    const retryAfterMs = resetAtMs === null ? null : Math.max(0, resetAtMs - Date.now());
    return new VendorError('rate_limited', `Intercom rate limit reached (429) when trying to ${what} on ${host}.${said}`, { status, retryAfterMs });
  }
  if (status >= 500 || status === 408) return new VendorError('transient', `Intercom is unavailable (${status}) when trying to ${what} on ${host}; will retry.${said}`, { status });
  if (code === 'cursor_expired' || code === 'pagination_cursor_expired') {
    return new VendorError('malformed', `Intercom rejected the search cursor as expired (${status}) when trying to ${what} on ${host}: start a new backfill from a time.${said}`, { status });
  }
  return new VendorError('malformed', `Intercom refused the request (${status}) to ${what} on ${host}.${said}`, { status });
}

/** Failures before any HTTP status: DNS, refused or dropped connections. */
export function transportError(error: unknown, what: string, host: string): VendorError {
  const cause = error instanceof Error ? ((error as Error & { cause?: unknown }).cause ?? error) : error;
  const code = typeof (cause as { code?: unknown } | null)?.code === 'string' ? (cause as { code: string }).code : '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new VendorError('network', `host not found: ${host}`, { cause: error });
  if (code === 'ECONNREFUSED') return new VendorError('network', `connection refused by ${host}: is the Intercom base URL right?`, { cause: error });
  if (error instanceof Error && error.name === 'TimeoutError') return new VendorError('transient', `no answer from ${host} in time when trying to ${what}; will retry`, { cause: error });
  return new VendorError('transient', `connection to ${host} failed when trying to ${what} (${code || 'dropped'}); will retry`, { cause: error });
}

export function contentTypeError(contentType: string | null, status: number, what: string, host: string): VendorError {
  const got = contentType ? contentType.split(';')[0] : 'no content type';
  return new VendorError('malformed', `Intercom answered ${what} on ${host} with ${got} instead of JSON (status ${status})`);
}

export function shapeError(error: z.ZodError, what: string, host: string): VendorError {
  const issues = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
    .join('; ');
  return new VendorError('malformed', `Intercom's answer to ${what} on ${host} is missing or has unexpected fields: ${issues}`);
}
