/**
 * Authentication and scopes the way HubSpot answers them
 * (https://developers.hubspot.com/docs/api/intro-to-auth, https://developers.hubspot.com/docs/api/error-handling):
 * private app tokens and OAuth access tokens, both as "Authorization: Bearer …". A wrong or missing
 * token gets 401 category INVALID_AUTHENTICATION, an expired OAuth token 401 EXPIRED_AUTHENTICATION,
 * a call without the scope it needs 403 MISSING_SCOPES naming the scope.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';

export type OAuthTokenState = 'valid' | 'expired' | 'revoked';

/** Every scope the sandbox knows; a token holds all of them unless the sandbox is told otherwise. */
export const ALL_SCOPES = [
  'conversations.read',
  'conversations.write',
  'tickets',
  'sales-email-read',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.companies.read',
  'crm.objects.owners.read',
  'oauth',
] as const;

export interface SandboxAuth {
  portalId: number;
  appId: number;
  userId: number;
  privateAppTokens: Set<string>;
  oauthTokens: Map<string, OAuthTokenState>;
  /** refresh token → the OAuth app it belongs to */
  refreshTokens: Map<string, { clientId: string }>;
  clientId: string;
  clientSecret: string;
  scopes: Set<string>;
}

export type AuthOutcome = { ok: true; token: string; kind: 'private_app' | 'oauth' } | { ok: false; body: Record<string, unknown> };

export function errorBody(category: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

function known(candidates: Iterable<string>, value: string): boolean {
  const given = Buffer.from(value);
  for (const candidate of candidates) {
    const expected = Buffer.from(candidate);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
  }
  return false;
}

const NOT_FOUND_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

export function authenticate(header: string | undefined, auth: SandboxAuth, expireAll: boolean): AuthOutcome {
  const [scheme, token = ''] = (header ?? '').trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() !== 'bearer' || !token) return { ok: false, body: errorBody('INVALID_AUTHENTICATION', NOT_FOUND_MESSAGE) };
  if (known(auth.privateAppTokens, token)) return { ok: true, token, kind: 'private_app' };
  const state = auth.oauthTokens.get(token);
  if (state === 'valid' && !expireAll) return { ok: true, token, kind: 'oauth' };
  if (state === 'valid' || state === 'expired') {
    return { ok: false, body: errorBody('EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired 2 hour(s) ago.', { context: { expiredToken: ['true'] } }) };
  }
  if (state === 'revoked') return { ok: false, body: errorBody('INVALID_AUTHENTICATION', 'The OAuth token used to make this call has been revoked.') };
  return { ok: false, body: errorBody('INVALID_AUTHENTICATION', NOT_FOUND_MESSAGE) };
}

/** The 403 HubSpot sends when the token lacks `scope`, or null when it has it. */
export function missingScope(auth: SandboxAuth, scope: string): Record<string, unknown> | null {
  if (auth.scopes.has(scope)) return null;
  return errorBody('MISSING_SCOPES', "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.", {
    errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [scope] } }],
    links: { scopes: 'https://developers.hubspot.com/scopes' },
  });
}
