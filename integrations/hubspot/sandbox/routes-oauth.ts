/**
 * OAuth and token introspection (https://developers.hubspot.com/docs/api/oauth/tokens):
 * POST /oauth/v1/token (refresh_token grant, form-encoded) issues a new access token for the same
 * refresh token; GET /oauth/v1/access-tokens/{token} and POST /oauth/v2/private-apps/get/access-token-info
 * tell which portal and scopes a token has. Failures use HubSpot's OAuth body { status: "BAD_…" }.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { SandboxEnv, SandboxState } from './faults.ts';

export function oauthRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>({ strict: false });
  const { auth } = state;
  const bad = (status: string, message: string) => ({ status, message, correlationId: randomUUID() });

  app.post('/v1/token', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    if (form.get('grant_type') !== 'refresh_token') return c.json(bad('BAD_GRANT_TYPE', 'grant_type must be refresh_token in the sandbox'), 400);
    if (form.get('client_id') !== auth.clientId) return c.json(bad('BAD_CLIENT_ID', 'missing or invalid client_id'), 400);
    if (form.get('client_secret') !== auth.clientSecret) return c.json(bad('BAD_CLIENT_SECRET', 'missing or invalid client_secret'), 400);
    const refreshToken = form.get('refresh_token') ?? '';
    if (auth.refreshTokens.get(refreshToken)?.clientId !== auth.clientId) return c.json(bad('BAD_REFRESH_TOKEN', 'missing or unknown refresh token'), 400);
    const accessToken = `sandbox-oauth-${randomBytes(12).toString('hex')}`;
    auth.oauthTokens.set(accessToken, 'valid');
    return c.json({ token_type: 'bearer', refresh_token: refreshToken, access_token: accessToken, expires_in: 1800 });
  });

  const info = { hub_id: auth.portalId, app_id: auth.appId, user_id: auth.userId };

  app.get('/v1/access-tokens/:token', (c) => {
    const token = c.req.param('token');
    if (auth.oauthTokens.get(token) !== 'valid' || state.faults.expireTokens) return c.json({ status: 'error', message: 'Token not found or expired', correlationId: randomUUID(), category: 'INVALID_AUTHENTICATION' }, 401);
    return c.json({ token, user: 'integration@example-shop.com', hub_domain: 'example-shop.com', scopes: [...auth.scopes], ...info, expires_in: 1500, token_type: 'access' });
  });

  app.post('/v2/private-apps/get/access-token-info', async (c) => {
    const body: unknown = await c.req.json().catch(() => null);
    const tokenKey = typeof body === 'object' && body !== null && 'tokenKey' in body ? body.tokenKey : null;
    if (typeof tokenKey !== 'string' || !auth.privateAppTokens.has(tokenKey)) {
      return c.json({ status: 'error', message: 'The access token provided is not valid.', correlationId: randomUUID(), category: 'INVALID_AUTHENTICATION' }, 401);
    }
    return c.json({ userId: auth.userId, hubId: auth.portalId, appId: auth.appId, scopes: [...auth.scopes] });
  });

  return app;
}
