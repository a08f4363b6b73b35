/**
 * Turns whatever a Zendesk call ended with into a VendorError a person can act on. Messages name
 * the host and the operation, quote Zendesk's own error text, and never contain credentials.
 * https://developer.zendesk.com/api-reference/introduction/requests/#response-format
 */
import type { z } from 'zod';
import { parseRetryAfter } from '../common/retry.ts';
import { VendorError } from '../types.ts';
import { ZendeskErrorBody } from './schemas.ts';

export type AuthKind = 'api_token' | 'oauth';

/** Zendesk's own words from an error body, if it sent any. */
function zendeskSays(body: unknown): string {
  const parsed = ZendeskErrorBody.safeParse(body);
  if (!parsed.success) return '';
  const { error, description, error_description: errorDescription } = parsed.data;
  const title = typeof error === 'string' ? error : [error?.title, error?.message].filter(Boolean).join(': ');
  const text = [title, description ?? errorDescription].filter(Boolean).join(': ');
  return text ? ` Zendesk said: "${text.slice(0, 200)}".` : '';
}

export function statusError(status: number, body: unknown, retryAfter: string | null, what: string, host: string, auth: AuthKind): VendorError {
  const said = zendeskSays(body);
  if (status === 401) {
    const hint =
      auth === 'oauth'
        ? 'The OAuth access token is expired, revoked or invalid: reconnect Zendesk to authorize tuneloop again.'
        : 'Check the agent email and API token, and that token access is enabled (Admin Center > Apps and integrations > Zendesk API).';
    return new VendorError('auth', `Zendesk rejected the credentials (401) for ${host}. ${hint}${said}`, { status });
  }
  if (status === 403) {
    return new VendorError('forbidden', `missing permission (403) to ${what} on ${host}: the incremental export needs an admin, and OAuth tokens need the "read" scope.${said}`, { status });
  }
  if (status === 404) {
    return new VendorError('not_found', `not found (404) when trying to ${what} on ${host}: check the subdomain or base URL.${said}`, { status });
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    const wait = retryAfterMs === null ? '' : ` Retry-After ${retryAfterMs / 1000}s.`;
    return new VendorError('rate_limited', `Zendesk rate limit reached (429) when trying to ${what} on ${host}.${wait}`, { status, retryAfterMs });
  }
  if (status >= 500 || status === 408) {
    return new VendorError('transient', `Zendesk is unavailable (${status}) when trying to ${what} on ${host}; will retry.${said}`, { status });
  }
  // 400/422 mean Zendesk refused what we asked; retrying the same request cannot help.
  return new VendorError('malformed', `Zendesk refused the request (${status}) to ${what} on ${host}.${said}`, { status });
}

/** Failures before any HTTP status: DNS, refused or dropped connections, unreadable bodies. */
export function transportError(error: unknown, what: string, host: string): VendorError {
  const details = error instanceof Error ? (error as Error & { code?: unknown; type?: unknown }) : null;
  const code = typeof details?.code === 'string' ? details.code : typeof details?.type === 'string' ? details.type : '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new VendorError('network', `host not found: ${host}`, { cause: error });
  if (code === 'ECONNREFUSED') return new VendorError('network', `connection refused by ${host}: is the Zendesk base URL right?`, { cause: error });
  if (code === 'invalid-json') {
    // JSON cut off part-way (a dropped connection, a proxy's partial page): asking again helps.
    return new VendorError('transient', `Zendesk's answer to ${what} on ${host} said it was JSON but was cut off or could not be parsed; will retry`, { cause: error });
  }
  if (['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'body-timeout', 'request-timeout'].includes(code)) {
    return new VendorError('transient', `connection to ${host} was interrupted (${code}) when trying to ${what}; will retry`, { cause: error });
  }
  const reason = details?.message.replace(/https?:\/\/\S+/g, '<url>') ?? String(error);
  return new VendorError('network', `request to ${host} failed when trying to ${what}: ${reason}`, { cause: error });
}

export function contentTypeError(contentType: string | null, status: number, what: string, host: string): VendorError {
  const got = contentType ? contentType.split(';')[0] : 'no content type';
  const hint = got === 'text/html' ? ' (HTML where JSON was expected: a login or maintenance page, or a base URL that is not the Zendesk API)' : '';
  return new VendorError('malformed', `Zendesk answered ${what} on ${host} with ${got} instead of JSON (status ${status})${hint}`);
}

export function shapeError(error: z.ZodError, what: string, host: string): VendorError {
  const issues = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`)).join('') || 'body'}: ${issue.message}`)
    .join('; ');
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return new VendorError('malformed', `Zendesk's answer to ${what} on ${host} is missing or has unexpected fields: ${issues}${more}`);
}
