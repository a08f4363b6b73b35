/**
 * Authentication the way Zendesk answers it (https://developer.zendesk.com/api-reference/introduction/security-and-auth/):
 * - API token: Basic base64("{email}/token:{api_token}"). Password access ("{email}:{password}")
 *   is off by default on Zendesk accounts, so the sandbox refuses it like a wrong token.
 * - OAuth: "Bearer {access_token}"; expired or revoked tokens get the RFC 6750 invalid_token body.
 */
import { timingSafeEqual } from 'node:crypto';
import type { StoredUser, ZendeskSandboxStore } from './store.ts';

export type OAuthTokenState = 'valid' | 'expired' | 'revoked';

export interface SandboxCredentials {
  email: string;
  apiToken: string;
  /** access token → state */
  oauthTokens: Map<string, OAuthTokenState>;
}

export type AuthOutcome =
  | { ok: true; user: StoredUser; scheme: 'basic' | 'bearer' }
  | { ok: false; status: 401; body: Record<string, string>; wwwAuthenticate: string };

const BASIC_FAILURE = { error: "Couldn't authenticate you" };
const BEARER_FAILURE = {
  error: 'invalid_token',
  error_description: 'The access token provided is expired, revoked, malformed or invalid for other reasons.',
};

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function authenticate(header: string | undefined, credentials: SandboxCredentials, store: ZendeskSandboxStore, expireAll: boolean): AuthOutcome {
  const basicFailure: AuthOutcome = { ok: false, status: 401, body: BASIC_FAILURE, wwwAuthenticate: 'Basic realm="Web Password"' };
  const apiUser = store.users.get(store.apiUserId);
  if (!header || !apiUser) return basicFailure;

  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer') {
    const state = credentials.oauthTokens.get(value);
    if (state === 'valid' && !expireAll) return { ok: true, user: apiUser, scheme: 'bearer' };
    return { ok: false, status: 401, body: BEARER_FAILURE, wwwAuthenticate: 'Bearer realm="Web Password", error="invalid_token"' };
  }
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const login = colon >= 0 ? decoded.slice(0, colon) : decoded;
    const secret = colon >= 0 ? decoded.slice(colon + 1) : '';
    if (!login.endsWith('/token')) return basicFailure;
    const email = login.slice(0, -'/token'.length);
    if (same(email.toLowerCase(), credentials.email.toLowerCase()) && same(secret, credentials.apiToken)) {
      return { ok: true, user: apiUser, scheme: 'basic' };
    }
  }
  return basicFailure;
}
