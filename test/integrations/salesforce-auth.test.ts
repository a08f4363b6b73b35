/**
 * Salesforce credentials through the real jsforce client: password logins (SOAP and OAuth),
 * OAuth access tokens renewed with the refresh token (and handed to the hub), revoked and missing
 * refresh tokens, unreachable hosts, and the connector's test() call.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { salesforceConnector } from '../../integrations/salesforce/connector.ts';
import type { SalesforceCredentials } from '../../integrations/salesforce/settings.ts';
import { collect, connectorFor, conversationsOf, failureOf, passwordCredentials, startSandbox, type Sandbox } from './salesforce-helpers.ts';

function oauthCredentials(sandbox: Sandbox, withRefresh = true): SalesforceCredentials {
  const { accessToken, refreshToken } = sandbox.auth.authorize();
  return {
    type: 'oauth',
    accessToken,
    ...(withRefresh ? { refreshToken } : {}),
    clientId: sandbox.credentials.clientId,
    clientSecret: sandbox.credentials.clientSecret,
  };
}

/** A loopback port nobody listens on: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function secretsOf(sandbox: Sandbox): string[] {
  return [sandbox.credentials.password, sandbox.credentials.securityToken, sandbox.credentials.clientSecret];
}

describe('salesforce auth: passwords', () => {
  it('turns a wrong password into a clear auth error, in harvest and in test()', async () => {
    const { sandbox, url } = await startSandbox({ cases: 5 });
    const credentials = { ...passwordCredentials(sandbox), password: 'wrong-password' };
    const error = await failureOf(collect(connectorFor(url, credentials)));
    expect(error.kind).toBe('auth');
    expect(error.message).toBe('Salesforce rejected the credentials (INVALID_LOGIN): check the username, password and security token');
    expect(await connectorFor(url, credentials).test()).toEqual({ ok: false, detail: error.message });
    expect(sandbox.store.requestLog.filter((r) => r.path.startsWith('/services/Soap'))).toHaveLength(2);
  });

  it('reports a wrong client secret for the OAuth username-password flow', async () => {
    const { sandbox, url } = await startSandbox({ cases: 5 });
    const error = await failureOf(collect(connectorFor(url, { ...passwordCredentials(sandbox, true), clientSecret: 'not-the-secret' })));
    expect(error).toMatchObject({ kind: 'auth', message: "Salesforce rejected the connected app's client id or secret (invalid_client)" });
    const wrongPassword = await failureOf(collect(connectorFor(url, { ...passwordCredentials(sandbox, true), securityToken: 'x' })));
    expect(wrongPassword.message).toBe('Salesforce rejected the credentials (invalid_grant: authentication failure): check the username, password and security token');
    for (const secret of secretsOf(sandbox)) expect(`${error.message} ${wrongPassword.message}`).not.toContain(secret);
  });

  it('logs in again when a password session expires mid-harvest', async () => {
    const { sandbox, url } = await startSandbox({ cases: 100, expireTokens: 2 });
    const saved: unknown[] = [];
    const connector = connectorFor(url, passwordCredentials(sandbox), { batchSize: 15, onCredentialsRefreshed: async (c) => void saved.push(c) });
    expect(conversationsOf(await collect(connector))).toHaveLength(100);
    const logins = sandbox.store.requestLog.filter((r) => r.path.startsWith('/services/Soap'));
    expect(logins.length).toBeGreaterThan(2);
    expect(saved).toEqual([]); // nothing to store: the password did not change
  });

  it('test() names the org and user and shows today’s API usage', async () => {
    const { sandbox, url } = await startSandbox({ cases: 5, apiUsage: 41 });
    const result = await connectorFor(url, passwordCredentials(sandbox)).test();
    expect(result).toEqual({ ok: true, detail: `Connected to Salesforce org ${sandbox.store.orgId} as ${sandbox.credentials.username}; API requests used today: 42 of 15000` });
  });
});

describe('salesforce auth: OAuth tokens', () => {
  it('renews an expired access token with the refresh token and hands it to the hub', async () => {
    const { sandbox, url } = await startSandbox({ cases: 40 });
    const credentials = oauthCredentials(sandbox);
    sandbox.auth.expireAccessTokens();
    const saved: SalesforceCredentials[] = [];
    const connector = salesforceConnector.create({ instanceUrl: url, apiVersion: '62.0' }, credentials, {
      onCredentialsRefreshed: async (c) => void saved.push(salesforceConnector.credentialsSchema.parse(c)),
    });
    expect(conversationsOf(await collect(connector))).toHaveLength(40);
    expect(saved).toHaveLength(1);
    const renewed = saved[0]!;
    expect(renewed).toMatchObject({ type: 'oauth', refreshToken: credentials.type === 'oauth' ? credentials.refreshToken : '', clientId: sandbox.credentials.clientId });
    expect(renewed.type === 'oauth' && renewed.accessToken).not.toBe(credentials.type === 'oauth' && credentials.accessToken);
    // The stored token works on its own: a fresh connector needs no refresh.
    const tokenCalls = () => sandbox.store.requestLog.filter((r) => r.path === '/services/oauth2/token').length;
    expect(tokenCalls()).toBe(1);
    expect(conversationsOf(await collect(connectorFor(url, renewed)))).toHaveLength(40);
    expect(tokenCalls()).toBe(1);
  });

  it('renews repeatedly when tokens expire mid-harvest', async () => {
    const { sandbox, url } = await startSandbox({ cases: 100, expireTokens: 2 });
    let saves = 0;
    const connector = connectorFor(url, oauthCredentials(sandbox), { batchSize: 10, onCredentialsRefreshed: async () => void saves++ });
    expect(conversationsOf(await collect(connector))).toHaveLength(100);
    expect(saves).toBeGreaterThan(3);
    expect(saves).toBe(sandbox.store.requestLog.filter((r) => r.path === '/services/oauth2/token').length);
  });

  it('fails clearly when the refresh token was revoked', async () => {
    const { sandbox, url } = await startSandbox({ cases: 10 });
    const credentials = oauthCredentials(sandbox);
    if (credentials.type !== 'oauth' || !credentials.refreshToken) throw new Error('expected OAuth credentials');
    sandbox.auth.revoke(credentials.refreshToken);
    const error = await failureOf(collect(connectorFor(url, credentials)));
    expect(error.kind).toBe('auth');
    expect(error.message).toBe('Salesforce refused the refresh token (invalid_grant: expired access/refresh token): it was revoked or expired, so reconnect Salesforce');
    expect(error.message).not.toContain(credentials.refreshToken);
    expect((await connectorFor(url, credentials).test()).ok).toBe(false);
  });

  it('fails clearly when the session expired and there is no refresh token', async () => {
    const { sandbox, url } = await startSandbox({ cases: 10 });
    const withClient = oauthCredentials(sandbox, false);
    const withoutClient: SalesforceCredentials = { type: 'oauth', accessToken: sandbox.auth.authorize().accessToken };
    sandbox.auth.expireAccessTokens();
    for (const credentials of [withClient, withoutClient]) {
      const error = await failureOf(collect(connectorFor(url, credentials)));
      expect(error.kind).toBe('auth');
      expect(error.message).toMatch(/^Salesforce session expired and no refresh token is stored/);
    }
  });

  it('test() works with an OAuth token (identity from the resources list)', async () => {
    const { sandbox, url } = await startSandbox({ cases: 5 });
    const result = await connectorFor(url, oauthCredentials(sandbox)).test();
    expect(result).toMatchObject({ ok: true, detail: expect.stringContaining(`as ${sandbox.credentials.username}`) });
  });
});

describe('salesforce auth: settings and reachability', () => {
  it('needs a client id to use a refresh token, and defaults the API version', () => {
    expect(salesforceConnector.credentialsSchema.safeParse({ type: 'oauth', accessToken: 'a', refreshToken: 'r' }).success).toBe(false);
    expect(salesforceConnector.settingsSchema.parse({ instanceUrl: 'https://acme.my.salesforce.com' })).toEqual({ instanceUrl: 'https://acme.my.salesforce.com', apiVersion: '62.0' });
    expect(salesforceConnector.settingsSchema.safeParse({ instanceUrl: 'ftp://acme' }).success).toBe(false);
  });

  it('reports an unknown host and a refused connection as network errors', async () => {
    const credentials: SalesforceCredentials = { type: 'oauth', accessToken: 'token' };
    const once = { retryPolicy: { maxAttempts: 1 } };
    const unknown = await failureOf(collect(connectorFor('http://salesforce-sandbox.invalid', credentials, once)));
    expect(unknown).toMatchObject({ kind: 'network', message: 'Salesforce host not found: salesforce-sandbox.invalid (check the instance URL)' });
    const port = await closedPort();
    const refused = await failureOf(collect(connectorFor(`http://127.0.0.1:${port}`, credentials, once)));
    expect(refused).toMatchObject({ kind: 'network', message: `could not reach Salesforce at 127.0.0.1:${port} (ECONNREFUSED)` });
    expect(await connectorFor('http://salesforce-sandbox.invalid', credentials).test()).toEqual({ ok: false, detail: unknown.message });
  });
});
