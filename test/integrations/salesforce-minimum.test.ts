/**
 * Salesforce at the API minimum and as the real org behaves, against the sandbox: Cases with their
 * emails and comments in one SOQL query per 200 (parent-to-child subqueries), emails and comments
 * that change without their Case found by their own SystemModstamp (one composite call), JWT
 * bearer and client-credentials sign-in beside passwords and refresh tokens, SOAP login() refused
 * from API 65.0, and triage values matched to the org's picklists through describe.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../integrations/salesforce/connector.ts';
import { SalesforceWriteBack } from '../../integrations/salesforce/write-back.ts';
import { collect, connectorFor, conversationsOf, failureOf, FAST, passwordCredentials, startSandbox } from './salesforce-helpers.ts';

const requestsOf = (batches: Array<{ requests?: number }>) => batches.reduce((sum, batch) => sum + (batch.requests ?? 0), 0);

describe('Salesforce harvest at the API minimum', () => {
  it('harvests 5,000 cases with one query per 200, one composite call for changed children and the login: within 10 % of the table', async () => {
    const N = 5_000;
    const { sandbox, url } = await startSandbox({ cases: N, apiLimit: 1_000_000 });
    const batches = await collect(connectorFor(url, passwordCredentials(sandbox)));
    const conversations = conversationsOf(batches);
    expect(conversations).toHaveLength(N);
    const stored = (object: string) => [...sandbox.store.rows(object)].length;
    const descriptions = conversations.filter((c) => c.messages[0]?.sourceId.endsWith(':description')).length;
    expect(conversations.reduce((sum, c) => sum + c.messages.length, 0)).toBe(stored('EmailMessage') + stored('CaseComment') + descriptions);
    const requests = requestsOf(batches);
    expect(requests).toBe(Math.ceil(N / 200) + 1 + 1);
    expect(requests).toBe(sandbox.store.requestLog.length);
    // The table: ≈ 50 requests for 10,000 cases.
    expect((requests / N) * 1000).toBeLessThanOrEqual(5 * 1.1);
    const paths = sandbox.store.requestLog.map((entry) => `${entry.method} ${entry.path}`);
    expect(paths.filter((path) => path.endsWith('/composite'))).toHaveLength(1);
    expect(sandbox.store.requestLog.filter((entry) => entry.soql?.includes('FROM EmailMessage WHERE ParentId'))).toEqual([]);
  });

  it('finds emails and comments that changed without their Case changing, by their own SystemModstamp', async () => {
    const { sandbox, url } = await startSandbox({ cases: 40 });
    const connector = connectorFor(url, passwordCredentials(sandbox));
    const first = await collect(connector);
    const [a, b] = [sandbox.store.threads[3]!.caseId, sandbox.store.threads[20]!.caseId];
    const caseStamps = [a, b].map((id) => sandbox.store.get(id)!.row.SystemModstamp);
    sandbox.store.insert('EmailMessage', { ParentId: a, Subject: 'Re: more', FromName: 'A Customer', FromAddress: 'a@example.com', ToAddress: 'support@example.com', TextBody: 'One more detail.', HtmlBody: null, Incoming: true, HasAttachment: false, Status: '0', MessageDate: Date.now() });
    sandbox.store.insert('CaseComment', { ParentId: b, IsPublished: false, CommentBody: 'Called the customer back.' });
    // The Cases themselves did not change: a scan of Cases alone would miss both.
    expect([a, b].map((id) => sandbox.store.get(id)!.row.SystemModstamp)).toEqual(caseStamps);
    const next = new Map(conversationsOf(await collect(connector, first.at(-1)!.cursor)).map((c) => [c.sourceId, c]));
    expect([...next.keys()].sort()).toEqual([a, b].sort());
    expect(next.get(a)?.messages.at(-1)).toMatchObject({ body: 'One more detail.', authorRole: 'customer' });
    expect(next.get(b)?.messages.some((m) => m.body === 'Called the customer back.' && m.visibility === 'internal')).toBe(true);
  });
});

describe('Salesforce sign-in beside the refresh token', () => {
  it('signs in with the OAuth 2.0 JWT bearer flow, and signs in again when the session expires', async () => {
    const { sandbox, url } = await startSandbox({ cases: 30, expireTokens: 2 });
    const credentials = { type: 'jwt', clientId: sandbox.credentials.clientId, username: sandbox.credentials.username, privateKey: sandbox.credentials.jwtPrivateKey! } as const;
    const batches = await collect(connectorFor(url, credentials, { batchSize: 10 }));
    expect(conversationsOf(batches)).toHaveLength(30);
    const grants = sandbox.store.requestLog.filter((entry) => entry.path === '/services/oauth2/token');
    expect(grants.length).toBeGreaterThan(1);
    expect(requestsOf(batches)).toBe(sandbox.store.requestLog.length);
    expect(sandbox.store.requestLog.some((entry) => entry.path.startsWith('/services/Soap'))).toBe(false);

    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const error = await failureOf(collect(connectorFor(url, { ...credentials, privateKey: stranger.privateKey })));
    expect(error.kind).toBe('auth');
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  it('signs in with the client credentials flow, and explains an app that has it switched off', async () => {
    const { sandbox, url } = await startSandbox({ cases: 12 });
    const credentials = { type: 'client_credentials', clientId: sandbox.credentials.clientId, clientSecret: sandbox.credentials.clientSecret } as const;
    expect(conversationsOf(await collect(connectorFor(url, credentials)))).toHaveLength(12);
    expect(await connectorFor(url, credentials).test()).toMatchObject({ ok: true });

    const off = await startSandbox({ cases: 2, credentials: { clientCredentialsFlow: false } });
    const error = await failureOf(collect(connectorFor(off.url, { ...credentials, clientId: off.sandbox.credentials.clientId })));
    expect(error.kind).toBe('auth');
  });

  it('refuses SOAP login() from API 65.0, with the way out named', async () => {
    const { sandbox, url } = await startSandbox({ cases: 3 });
    const connector = createSalesforceConnector({ instanceUrl: url, apiVersion: '65.0' }, passwordCredentials(sandbox), FAST);
    const error = await failureOf(collect(connector));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/SOAP login\(\) is not available from API version 65\.0.*clientId and clientSecret.*JWT bearer or client credentials/);
    // The sandbox refuses it too, whoever asks.
    const soap = await fetch(`${url}/services/Soap/u/65.0`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<login><username>x</username><password>y</password></login>' });
    expect(await soap.text()).toContain('UNSUPPORTED_API_VERSION');
    // With the connected app's key and secret, the same password signs in over OAuth.
    const oauth = createSalesforceConnector({ instanceUrl: url, apiVersion: '65.0' }, passwordCredentials(sandbox, true), FAST);
    expect(conversationsOf(await collect(oauth))).toHaveLength(3);
  });
});

describe('Salesforce triage through describe', () => {
  it('writes a picklist value the org has, matched by label, and leaves out one a restricted picklist would refuse', async () => {
    const { sandbox, url } = await startSandbox({ cases: 4 });
    const writeBack = new SalesforceWriteBack({ instanceUrl: url, apiVersion: '62.0' }, passwordCredentials(sandbox), FAST);
    const [first, second] = sandbox.store.threads.map((thread) => thread.caseId);
    sandbox.store.update(first!, { Type: null, Reason: null, Priority: null });
    const outcome = await writeBack.applyTriage(first!, { tags: [], priority: 'urgent', fields: { category: 'DELIVERY', intent: 'track_order' } });
    expect(outcome.applied.sort()).toEqual(['field:Priority', 'field:Reason', 'field:Type']);
    expect(sandbox.store.get(first!)!.row).toMatchObject({ Type: 'Delivery', Reason: 'Track order', Priority: 'High' });

    sandbox.store.update(second!, { Type: null });
    const refused = await writeBack.applyTriage(second!, { tags: [], fields: { category: 'logistics' } });
    expect(refused).toEqual({ applied: [], skipped: ['category: "logistics" is not one of Type\'s values'] });
    expect(sandbox.store.get(second!)!.row.Type).toBeNull();
    expect(sandbox.store.requestLog.filter((entry) => entry.path.endsWith('/sobjects/Case/describe'))).toHaveLength(1);
  });
});
