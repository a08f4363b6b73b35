/**
 * Every Salesforce failure → VendorError with a message a person can act on and no secrets:
 * REST error bodies ([{ errorCode, message }] with the HTTP status), OAuth token errors
 * ({ error, error_description }), SOAP login faults ("INVALID_LOGIN: …"), jsforce's session
 * refresh failures, and network errors from undici.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm&type=5
 */
import type { HttpResponse } from 'jsforce';
import { parseRetryAfter } from '../common/retry.ts';
import { VendorError } from '../types.ts';
import { ErrorBody } from './raw.ts';

/** The daily allocation is spent: retrying within this harvest cannot help, so it is not retryable. */
export class SalesforceDailyLimitError extends VendorError {
  override get retryable(): boolean {
    return false;
  }
}

export interface ErrorContext {
  host: string;
  /** The last HTTP response of the failed call, when there was one. */
  response?: HttpResponse | undefined;
  /** False when the connection holds neither a refresh token nor a password to renew a session with. */
  canRenew?: boolean;
  /** Extra wait on top of Retry-After: timers may fire a millisecond early, and we must never be early. */
  retryAfterMarginMs?: number;
}

const NETWORK_CODES: Record<string, 'network' | 'transient'> = {
  ENOTFOUND: 'network',
  EAI_AGAIN: 'network',
  ECONNREFUSED: 'network',
  EHOSTUNREACH: 'network',
  ENETUNREACH: 'network',
  ECONNRESET: 'transient',
  ETIMEDOUT: 'transient',
  EPIPE: 'transient',
  UND_ERR_SOCKET: 'transient',
  UND_ERR_CONNECT_TIMEOUT: 'transient',
  UND_ERR_HEADERS_TIMEOUT: 'transient',
  UND_ERR_BODY_TIMEOUT: 'transient',
};

/** Salesforce's own texts carry no secrets, but cut them short and blank anything token-like. */
export function safeText(text: string): string {
  return text
    .replace(/<[^>]*>/g, ' ')
    .replace(/00D[a-zA-Z0-9]{12,15}![\w.-]+/g, '[token]')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 240);
}

function networkCode(error: unknown): string | null {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    if (typeof current === 'object' && 'code' in current && typeof current.code === 'string' && current.code in NETWORK_CODES) return current.code;
    current = typeof current === 'object' && 'cause' in current ? current.cause : null;
  }
  return null;
}

function restError(ctx: ErrorContext, response: HttpResponse, cause: unknown): VendorError {
  const status = response.statusCode;
  const parsed = /json/.test(response.headers['content-type'] ?? '') ? ErrorBody.safeParse(safeJson(response.body)) : null;
  const first = parsed?.success ? parsed.data[0] : undefined;
  const code = first?.errorCode ?? `HTTP ${status}`;
  const detail = first ? safeText(first.message) : '';
  const retryAfter = parseRetryAfter(response.headers['retry-after']);
  const retryAfterMs = retryAfter === null ? null : retryAfter + (ctx.retryAfterMarginMs ?? 50);
  const opts = { status, retryAfterMs, cause };

  if (status === 401) {
    if (ctx.canRenew === false) return new VendorError('auth', `Salesforce session expired and no refresh token is stored (${code}): reconnect Salesforce`, opts);
    return new VendorError('auth', `Salesforce rejected the session (${code}) and it could not be renewed: reconnect Salesforce or check the stored credentials`, opts);
  }
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    const usage = /api-usage=(\d+)\/(\d+)/.exec(response.headers['sforce-limit-info'] ?? '');
    const spent = /TotalRequests/i.test(detail) || (usage !== null && Number(usage[1]) >= Number(usage[2]));
    if (spent) return new SalesforceDailyLimitError('rate_limited', `REQUEST_LIMIT_EXCEEDED: daily API limit reached${usage ? ` (${usage[1]}/${usage[2]} calls in the last 24 hours)` : ''}; the harvest continues once Salesforce's rolling usage drops`, opts);
    return new VendorError('rate_limited', `REQUEST_LIMIT_EXCEEDED: Salesforce is over a request limit (${detail || 'concurrent requests'})`, opts);
  }
  if (status === 429) return new VendorError('rate_limited', `Salesforce asked us to slow down (HTTP 429${detail ? `: ${detail}` : ''})`, opts);
  if (status >= 500) return new VendorError('transient', `Salesforce is unavailable or failed (HTTP ${status}, ${code})`, opts);
  if (status === 404 || status === 420) return new VendorError('not_found', `Salesforce has no such endpoint on ${ctx.host} (${code}): check the instance URL and API version`, opts);
  if (status === 403 || code === 'INVALID_TYPE' || code === 'INSUFFICIENT_ACCESS' || code === 'INVALID_FIELD') {
    return new VendorError('forbidden', `Salesforce refused the request (${code}${detail ? `: ${detail}` : ''}); check that the integration user may read Cases, EmailMessages and CaseComments`, opts);
  }
  return new VendorError('malformed', `Salesforce rejected the request (${code}${detail ? `: ${detail}` : ''})`, opts);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Login and refresh errors carry no HTTP response in jsforce: read the OAuth error name or the SOAP fault code. */
function authError(message: string, name: string, cause: unknown): VendorError | null {
  const soap = /^([A-Z_]{4,}): (.*)$/s.exec(message);
  const code = ['invalid_grant', 'invalid_client_id', 'invalid_client', 'unsupported_grant_type', 'inactive_user', 'inactive_org', 'invalid_request'].includes(name) ? name : (soap?.[1] ?? null);
  if (!code) return null;
  const detail = safeText(soap ? (soap[2] ?? '') : message);
  switch (code) {
    case 'invalid_client_id':
    case 'invalid_client':
      return new VendorError('auth', `Salesforce rejected the connected app's client id or secret (${code})`, { cause });
    case 'invalid_grant':
      if (/expired access\/refresh token|refresh/i.test(detail)) return new VendorError('auth', `Salesforce refused the refresh token (invalid_grant: ${detail}): it was revoked or expired, so reconnect Salesforce`, { cause });
      return new VendorError('auth', `Salesforce rejected the credentials (invalid_grant: ${detail}): check the username, password and security token`, { cause });
    case 'INVALID_LOGIN':
    case 'LOGIN_MUST_USE_SECURITY_TOKEN':
    case 'PASSWORD_LOCKOUT':
    case 'INVALID_PASSWORD':
      return new VendorError('auth', `Salesforce rejected the credentials (${code}): check the username, password and security token`, { cause });
    case 'API_DISABLED_FOR_ORG':
    case 'API_CURRENTLY_DISABLED':
      return new VendorError('forbidden', `Salesforce API access is disabled for this org or user (${code})`, { cause });
    case 'REQUEST_LIMIT_EXCEEDED':
      return new VendorError('rate_limited', `REQUEST_LIMIT_EXCEEDED: ${detail}`, { cause });
    case 'SERVER_UNAVAILABLE':
      return new VendorError('transient', `Salesforce login is unavailable (${code})`, { cause });
    default:
      return new VendorError('auth', `Salesforce refused the login (${code}${detail ? `: ${detail}` : ''})`, { cause });
  }
}

export function toVendorError(error: unknown, ctx: ErrorContext): VendorError {
  if (error instanceof VendorError) return error;
  const network = networkCode(error);
  if (network) {
    const message = network === 'ENOTFOUND' || network === 'EAI_AGAIN' ? `Salesforce host not found: ${ctx.host} (check the instance URL)` : `could not reach Salesforce at ${ctx.host} (${network})`;
    return new VendorError(NETWORK_CODES[network] ?? 'network', message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (name === 'AbortError' || name === 'TimeoutError') return new VendorError('transient', `Salesforce did not answer in time (${ctx.host})`, { cause: error });
  if (error instanceof TypeError && message === 'fetch failed') {
    const reason = error.cause instanceof Error ? `: ${safeText(error.cause.message)}` : '';
    return new VendorError('network', `could not reach Salesforce at ${ctx.host}${reason}`, { cause: error });
  }
  // A failed session renewal also leaves the 401 that triggered it as the last response: read the renewal first.
  const refresh = /^Unable to refresh session due to: (.*)$/s.exec(message);
  if (refresh) {
    const inner = refresh[1] ?? '';
    if (/No refresh token|No OAuth2 client id/i.test(inner)) return new VendorError('auth', 'Salesforce session expired and no refresh token is stored: reconnect Salesforce', { cause: error });
    if (/fetch failed|ENOTFOUND|ECONNREFUSED/i.test(inner)) return new VendorError('network', `could not reach Salesforce to renew the session (${ctx.host})`, { cause: error });
    if (/expired access\/refresh token/i.test(inner)) return authError(inner, 'invalid_grant', error)!;
    return authError(inner, '', error) ?? new VendorError('auth', `Salesforce session expired and could not be renewed (${safeText(inner)})`, { cause: error });
  }
  if (ctx.response && ctx.response.statusCode >= 400) return restError(ctx, ctx.response, error);
  if (/password has expired/i.test(message)) return new VendorError('auth', 'The Salesforce password has expired: set a new one and update the connection', { cause: error });
  const auth = authError(message, name, error);
  if (auth) return auth;
  if (/^ERROR_HTTP_5\d\d$/.test(name)) return new VendorError('transient', `Salesforce login is unavailable (${name.slice(6)})`, { cause: error });
  if (/^ERROR_HTTP_4\d\d$/.test(name)) return new VendorError('auth', `Salesforce refused the login (${name.slice(6)})`, { cause: error });
  return new VendorError('malformed', `unexpected answer from Salesforce: ${safeText(message)}`, { cause: error });
}
