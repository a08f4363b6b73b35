/**
 * Mailboxes that log in with OAuth2 (SASL XOAUTH2) against a real Dovecot whose oauth2 passdb asks a
 * loopback identity provider whether a token is active: an expired access token is renewed with the
 * refresh token (before the login when its expiry is known, after the server refuses it otherwise),
 * the renewed credentials are stored sealed on the connection, and a refresh token the provider no
 * longer honours fails the harvest (the connection's state) and the connection test with the reason.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type RunningDovecot } from '../../integrations/email/sandbox/dovecot.ts';
import { createOAuthProvider } from '../../integrations/email/sandbox/oauth-provider.ts';
import { connectorFactory } from '../../integrations/registry.ts';
import { connections, conversations } from '../../src/db/schema/index.ts';
import { decryptJson } from '../../src/security/encryption.ts';
import { credentialsPlace } from '../../src/connections/open.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, harvestNow, testKeyring } from '../support/harvest.ts';
import { rawMail } from '../support/mail.ts';

const USER = { username: 'officer', password: 'not-used-here' };
const CLIENT = { clientId: 'tuneloop-mail', clientSecret: 'client-secret-of-the-app' };

describe('OAuth2 mailboxes (XOAUTH2) on Dovecot', () => {
  let database: TestDatabase;
  let dovecot: RunningDovecot;
  const provider = createOAuthProvider({ ...CLIENT, rotateRefreshTokens: true });
  let idp: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    idp = await provider.listen();
    dovecot = await startDovecot({ users: [USER], oauth2: { introspectionUrl: `${idp.url}/introspect` } });
    await dovecot.deliver(USER, rawMail({ from: 'Jane Customer <jane@customer.test>', subject: 'My order', body: 'Where is my order 123?' }).raw);
  });
  afterAll(async () => {
    await dovecot?.close();
    await idp?.close();
    await database?.drop();
  });

  const settings = () => ({ host: dovecot.host, port: dovecot.port, tls: false, agentAddresses: ['@company.test'], oauthTokenUrl: `${idp.url}/token` });
  const connector = (credentials: Record<string, unknown>, saved: Array<Record<string, unknown>>) => {
    const factory = connectorFactory('email');
    if (!factory) throw new Error('no email connector');
    return factory.create(factory.settingsSchema.parse(settings()), factory.credentialsSchema.parse({ type: 'oauth2', username: USER.username, ...CLIENT, ...credentials }), { onCredentialsRefreshed: async (c) => void saved.push(c) });
  };

  it('logs in with a valid access token without renewing it', async () => {
    const tokens = provider.signIn(USER.username);
    const saved: Array<Record<string, unknown>> = [];
    expect(await connector(tokens, saved).test()).toMatchObject({ ok: true, detail: expect.stringContaining('logged in') });
    expect(saved).toEqual([]);
    expect(provider.log.filter((entry) => entry.endpoint === 'token')).toEqual([]);
  });

  it('renews a token the server refuses, logs in with the new one, and hands the new credentials over', async () => {
    const tokens = provider.signIn(USER.username);
    provider.expire(tokens.accessToken);
    const saved: Array<Record<string, unknown>> = [];
    // No expiry known: the refusal is what tells.
    expect(await connector({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }, saved).test()).toMatchObject({ ok: true });
    expect(saved).toHaveLength(1);
    const renewed = saved[0] ?? {};
    expect(renewed).toMatchObject({ type: 'oauth2', username: USER.username, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret });
    expect(renewed.accessToken).not.toBe(tokens.accessToken);
    // This provider rotates refresh tokens: the new one is kept.
    expect(renewed.refreshToken).not.toBe(tokens.refreshToken);
    expect(Date.parse(String(renewed.expiresAt))).toBeGreaterThan(Date.now());
    const checks = provider.log.filter((entry) => entry.endpoint === 'introspect' && [tokens.accessToken, renewed.accessToken].includes(entry.token));
    expect(checks.map((entry) => entry.outcome)).toEqual(['inactive', 'active']);
  });

  it('renews before logging in when the stored expiry has passed', async () => {
    const tokens = provider.signIn(USER.username);
    const saved: Array<Record<string, unknown>> = [];
    expect(await connector({ ...tokens, expiresAt: new Date(Date.now() - 1_000).toISOString() }, saved).test()).toMatchObject({ ok: true });
    expect(saved).toHaveLength(1);
    // The old token was never offered to the server.
    expect(provider.log.filter((entry) => entry.endpoint === 'introspect' && entry.token === tokens.accessToken)).toEqual([]);
  });

  it('harvests through the hub with a renewed token, stored sealed on the connection', async () => {
    const tokens = provider.signIn(USER.username);
    provider.expire(tokens.accessToken);
    const connection = await addConnection(database, { vendor: 'email', name: 'oauth-mailbox', settings: settings(), credentials: { type: 'oauth2', username: USER.username, ...CLIENT, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken } });
    const run = await harvestNow(database, connection.id);
    expect(run?.status, run?.error ?? '').toBe('succeeded');
    expect(await database.db.$count(conversations, eq(conversations.connectionId, connection.id))).toBe(1);
    const [row] = await database.db.select({ sealed: connections.credentialsEncrypted }).from(connections).where(eq(connections.id, connection.id));
    const stored = decryptJson(testKeyring(), row?.sealed ?? '', credentialsPlace(connection.id)) as Record<string, unknown>;
    expect(stored.accessToken).not.toBe(tokens.accessToken);
    expect(stored.refreshToken).not.toBe(tokens.refreshToken);
    // Sealed: neither token readable in the column.
    expect(row?.sealed).not.toContain(String(stored.refreshToken));
    expect(row?.sealed).not.toContain(String(stored.accessToken));
  });

  it('a refresh token the provider no longer honours: the harvest fails with the reason, the test says it, nothing stored changes', async () => {
    const tokens = provider.signIn(USER.username);
    provider.expire(tokens.accessToken);
    provider.revoke(tokens.refreshToken);
    const credentials = { type: 'oauth2', username: USER.username, ...CLIENT, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
    const connection = await addConnection(database, { vendor: 'email', name: 'revoked-mailbox', settings: settings(), credentials });
    const run = await harvestNow(database, connection.id);
    expect(run?.status).toBe('failed');
    expect(run?.error).toContain('refused to renew the access token (invalid_grant: Token has been expired or revoked.)');
    expect(run?.error).not.toContain(tokens.refreshToken);
    const [row] = await database.db.select({ sealed: connections.credentialsEncrypted }).from(connections).where(eq(connections.id, connection.id));
    expect(decryptJson(testKeyring(), row?.sealed ?? '', credentialsPlace(connection.id))).toEqual(credentials);
    const saved: Array<Record<string, unknown>> = [];
    expect(await connector({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }, saved).test()).toMatchObject({ ok: false, detail: expect.stringContaining('sign in to the mailbox again') });
    expect(saved).toEqual([]);
  });
});
