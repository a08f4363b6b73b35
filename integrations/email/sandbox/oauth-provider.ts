/**
 * A loopback OAuth2 identity provider for mailboxes that log in with XOAUTH2: the token endpoint
 * (RFC 6749 §6: grant_type=refresh_token, client id and secret in the form, errors as
 * {error, error_description}) and the token introspection endpoint (RFC 7662) that Dovecot's oauth2
 * passdb asks whether a bearer token is active and whose it is (startDovecot's `oauth2` option).
 * Access tokens live `lifetimeS`; tests can revoke a refresh token or expire an access token.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { listenOnLoopback } from '../../sandbox-kit/server.ts';

export interface OAuthProviderOptions {
  clientId: string;
  clientSecret: string;
  /** Access token lifetime in seconds (expires_in). */
  lifetimeS?: number;
  /** Hand out a new refresh token with every renewal (as Microsoft does); Google keeps the old one. */
  rotateRefreshTokens?: boolean;
}

export function createOAuthProvider(options: OAuthProviderOptions) {
  const lifetimeS = options.lifetimeS ?? 3600;
  const access = new Map<string, { username: string; expiresAt: number }>();
  const refresh = new Map<string, string>(); // refresh token → username
  const log: Array<{ endpoint: 'token' | 'introspect'; token: string; outcome: string }> = [];
  const token = () => randomBytes(18).toString('base64url');

  const issueAccess = (username: string) => {
    const value = `at-${token()}`;
    access.set(value, { username, expiresAt: Date.now() + lifetimeS * 1000 });
    return value;
  };

  const app = new Hono();
  app.post('/token', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const refused = (error: string, description: string, status: 400 | 401 = 400) => {
      log.push({ endpoint: 'token', token: form.get('refresh_token') ?? '', outcome: error });
      return c.json({ error, error_description: description }, status);
    };
    if (form.get('grant_type') !== 'refresh_token') return refused('unsupported_grant_type', 'only refresh_token is supported here');
    if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret) return refused('invalid_client', 'Client authentication failed.', 401);
    const given = form.get('refresh_token') ?? '';
    const username = refresh.get(given);
    if (!username) return refused('invalid_grant', 'Token has been expired or revoked.');
    let next: string | undefined;
    if (options.rotateRefreshTokens) {
      refresh.delete(given);
      next = `rt-${token()}`;
      refresh.set(next, username);
    }
    log.push({ endpoint: 'token', token: given, outcome: 'issued' });
    return c.json({ access_token: issueAccess(username), token_type: 'Bearer', expires_in: lifetimeS, ...(next ? { refresh_token: next } : {}) });
  });
  app.post('/introspect', async (c) => {
    const given = new URLSearchParams(await c.req.text()).get('token') ?? '';
    const found = access.get(given);
    const active = Boolean(found && found.expiresAt > Date.now());
    log.push({ endpoint: 'introspect', token: given, outcome: active ? 'active' : 'inactive' });
    return c.json(active && found ? { active: true, username: found.username, exp: Math.floor(found.expiresAt / 1000) } : { active: false });
  });

  return {
    app,
    log,
    /** A signed-in user's first tokens, as the consent flow would give them. */
    signIn(username: string): { accessToken: string; refreshToken: string; expiresAt: string } {
      const refreshToken = `rt-${token()}`;
      refresh.set(refreshToken, username);
      const accessToken = issueAccess(username);
      return { accessToken, refreshToken, expiresAt: new Date(access.get(accessToken)!.expiresAt).toISOString() };
    },
    /** The access token stops working now (its hour is over). */
    expire(accessToken: string): void {
      const found = access.get(accessToken);
      if (found) found.expiresAt = 0;
    },
    /** The user removed the app's access: the refresh token no longer renews. */
    revoke(refreshToken: string): void {
      refresh.delete(refreshToken);
    },
    listen: (port = 0) => listenOnLoopback(app.fetch, port),
  };
}

export type OAuthProvider = ReturnType<typeof createOAuthProvider>;
