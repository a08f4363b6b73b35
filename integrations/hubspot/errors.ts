/**
 * Turns whatever a HubSpot call ended with into a VendorError a person can act on. Messages name
 * the host and the operation, quote HubSpot's own message and category, name missing scopes, and
 * never contain tokens. https://developers.hubspot.com/docs/api/error-handling
 */
import type { z } from 'zod';
import { parseRetryAfter } from '../common/retry.ts';
import { VendorError } from '../types.ts';
import { HubSpotErrorBody } from './schemas.ts';

export type AuthKind = 'private_app' | 'oauth';

/**
 * The daily limit resets at midnight in the account's time zone: waiting inside one harvest cannot
 * help, so this rate limit is not retried. The harvest stops and resumes from its cursor next time.
 */
export class DailyLimitError extends VendorError {
  override get retryable(): boolean {
    return false;
  }
}

/** Rolling windows HubSpot names in a 429's policyName, for when the 429 carries no Retry-After. */
const POLICY_WINDOW_MS: Record<string, number> = { TEN_SECONDLY_ROLLING: 10_000, SECONDLY: 1_000 };

export interface Answer {
  status: number;
  header(name: string): string | null;
  text: string;
}

function parseBody(text: string): HubSpotErrorBody | null {
  try {
    const parsed = HubSpotErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** HubSpot's own words, shortened; tokens never appear in HubSpot's messages, but URLs are cut anyway. */
function hubSpotSays(body: HubSpotErrorBody | null): string {
  if (!body?.message) return '';
  const message = body.message.replace(/\s*https?:\/\/\S+/g, '').slice(0, 200);
  return ` HubSpot said: "${message}"${body.category ? ` (${body.category})` : ''}.`;
}

function missingScopes(body: HubSpotErrorBody | null): string[] {
  const scopes = new Set<string>();
  for (const context of [body?.context, ...(body?.errors ?? []).map((error) => error.context)]) {
    for (const [key, values] of Object.entries(context ?? {})) if (/scope/i.test(key)) for (const value of values) scopes.add(value);
  }
  return [...scopes];
}

export function statusError(answer: Answer, what: string, host: string, auth: AuthKind): VendorError {
  const { status } = answer;
  const body = parseBody(answer.text);
  const said = hubSpotSays(body);
  if (status === 401) {
    const expired = body?.category === 'EXPIRED_AUTHENTICATION';
    const hint =
      auth === 'oauth'
        ? `The OAuth access token is ${expired ? 'expired' : 'invalid or revoked'} and could not be renewed: reconnect HubSpot to authorize tuneloop again.`
        : 'Check the private app access token (Settings > Integrations > Private Apps > Auth) and that the app is still installed.';
    return new VendorError('auth', `HubSpot rejected the access token (401) for ${host}. ${hint}${said}`, { status });
  }
  if (status === 403) {
    const scopes = missingScopes(body);
    if (body?.category === 'MISSING_SCOPES' || scopes.length > 0) {
      const names = scopes.length ? scopes.join(', ') : 'a scope HubSpot did not name';
      return new VendorError(
        'forbidden',
        `missing scope ${names} (403) to ${what} on ${host}: add it to the private app (Settings > Integrations > Private Apps > Scopes) or reconnect the OAuth app with it.`,
        { status },
      );
    }
    return new VendorError('forbidden', `HubSpot refused access (403) to ${what} on ${host}: check the app's permissions in this account.${said}`, { status });
  }
  if (status === 404) return new VendorError('not_found', `not found (404) when trying to ${what} on ${host}: check the base URL.${said}`, { status });
  if (status === 429) {
    const policy = body?.policyName ?? null;
    if (policy === 'DAILY') {
      return new DailyLimitError('rate_limited', `HubSpot's daily API limit for this app is used up (429 DAILY) when trying to ${what} on ${host}: the harvest resumes from its cursor after the limit resets at midnight in the account's time zone.`, { status });
    }
    const interval = Number(answer.header('x-hubspot-ratelimit-interval-milliseconds'));
    const fallback = policy && policy in POLICY_WINDOW_MS ? (policy === 'TEN_SECONDLY_ROLLING' && interval > 0 ? interval : POLICY_WINDOW_MS[policy]) : null;
    const retryAfterMs = parseRetryAfter(answer.header('retry-after')) ?? fallback ?? null;
    const wait = retryAfterMs === null ? '' : ` Waiting ${retryAfterMs / 1000}s.`;
    return new VendorError('rate_limited', `HubSpot rate limit reached (429${policy ? ` ${policy}` : ''}) when trying to ${what} on ${host}.${wait}`, { status, retryAfterMs });
  }
  if (status >= 500 || status === 408) {
    return new VendorError('transient', `HubSpot is unavailable (${status}) when trying to ${what} on ${host}; will retry.${said}`, { status });
  }
  // 400 and the rest: HubSpot refused what we asked; repeating the same request cannot help.
  return new VendorError('malformed', `HubSpot refused the request (${status}) to ${what} on ${host}.${said}`, { status });
}

/** The network-level code of a fetch or node:http failure (fetch puts it on `cause`). */
function errorCode(error: unknown): string {
  for (let current: unknown = error, depth = 0; current && depth < 3; depth++) {
    if (typeof current !== 'object') break;
    const code = 'code' in current ? current.code : undefined;
    if (typeof code === 'string') return code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return '';
}

/** Failures before any HTTP status: DNS, refused or dropped connections. Null when `error` is not one. */
export function transportError(error: unknown, what: string, host: string): VendorError | null {
  const code = errorCode(error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new VendorError('network', `host not found: ${host}`, { cause: error });
  if (code === 'ECONNREFUSED') return new VendorError('network', `connection refused by ${host}: is the HubSpot base URL right?`, { cause: error });
  if (['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'].includes(code)) {
    return new VendorError('transient', `connection to ${host} was interrupted (${code}) when trying to ${what}; will retry`, { cause: error });
  }
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) {
    return new VendorError('network', `request to ${host} failed when trying to ${what}${code ? ` (${code})` : ''}`, { cause: error });
  }
  return null;
}

export function contentTypeError(contentType: string | null, status: number, what: string, host: string): VendorError {
  const got = contentType ? contentType.split(';')[0] : 'no content type';
  const hint = got === 'text/html' ? ' (HTML where JSON was expected: a maintenance or login page, or a base URL that is not the HubSpot API)' : '';
  return new VendorError('malformed', `HubSpot answered ${what} on ${host} with ${got} instead of JSON (status ${status})${hint}`);
}

export function shapeError(error: z.ZodError, what: string, host: string): VendorError {
  const issues = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`)).join('') || 'body'}: ${issue.message}`)
    .join('; ');
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return new VendorError('malformed', `HubSpot's answer to ${what} on ${host} is missing or has unexpected fields: ${issues}${more}`);
}
