/**
 * The Salesforce sandbox's own contract, over plain HTTP and through jsforce: error bodies,
 * Sforce-Limit-Info, query locators, the login endpoints, sObject create/update for write-back,
 * and the Retry-After violations it records for clients that come back too early.
 */
import { Connection } from 'jsforce';
import { describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from './salesforce-helpers.ts';

async function session(sandbox: Sandbox, url: string): Promise<{ token: string; get: (path: string, headers?: Record<string, string>) => Promise<Response> }> {
  const c = sandbox.credentials;
  const response = await fetch(`${url}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret, username: c.username, password: c.password + c.securityToken }),
  });
  const { access_token: token } = (await response.json()) as { access_token: string };
  return { token, get: (path, headers = {}) => fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}`, ...headers } }) };
}

describe('salesforce sandbox: REST contract', () => {
  it('lists versions without a session and refuses REST calls without one', async () => {
    const { url } = await startSandbox({ cases: 3 });
    const versions = (await (await fetch(`${url}/services/data`)).json()) as Array<{ version: string; label: string; url: string }>;
    expect(versions).toContainEqual({ version: '62.0', label: "Winter '25", url: '/services/data/v62.0' });
    const denied = await fetch(`${url}/services/data/v62.0/limits`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    const unknown = await fetch(`${url}/services/data/v12.0/limits`);
    expect(unknown.status).toBe(404);
  });

  it('counts API usage in Sforce-Limit-Info and answers 403 TotalRequests at the limit', async () => {
    const { sandbox, url } = await startSandbox({ cases: 3, apiLimit: 3 });
    const { get } = await session(sandbox, url);
    const headers = [];
    for (let i = 0; i < 4; i++) {
      const response = await get('/services/data/v62.0/limits');
      headers.push([response.status, response.headers.get('sforce-limit-info')]);
    }
    expect(headers).toEqual([
      [200, 'api-usage=1/3'],
      [200, 'api-usage=2/3'],
      [200, 'api-usage=3/3'],
      [403, 'api-usage=3/3'],
    ]);
    const refused = await get('/services/data/v62.0/limits');
    expect(await refused.json()).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
  });

  it('pages a query with query locators and rejects unknown ones', async () => {
    const { sandbox, url } = await startSandbox({ cases: 45, pageSize: 20 });
    const { get } = await session(sandbox, url);
    const first = (await (await get(`/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id FROM Case ORDER BY Id')}`)).json()) as { totalSize: number; done: boolean; nextRecordsUrl: string; records: unknown[] };
    expect(first).toMatchObject({ totalSize: 45, done: false, nextRecordsUrl: expect.stringMatching(/^\/services\/data\/v62\.0\/query\/01g[A-Za-z0-9]{15}-20$/) });
    expect(first.records).toHaveLength(20);
    const second = (await (await get(first.nextRecordsUrl)).json()) as { nextRecordsUrl: string; records: unknown[] };
    const third = (await (await get(second.nextRecordsUrl)).json()) as { done: boolean; nextRecordsUrl?: string; records: unknown[] };
    expect([second.records.length, third.records.length, third.done, third.nextRecordsUrl]).toEqual([20, 5, true, undefined]);
    // A finished cursor is gone, as in Salesforce.
    const gone = await get(second.nextRecordsUrl);
    expect([gone.status, await gone.json()]).toEqual([400, [{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]]);
    // Sforce-Query-Options batchSize shrinks pages, but never below 200.
    const options = await get(`/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id FROM Case')}`, { 'Sforce-Query-Options': 'batchSize=10' });
    expect(((await options.json()) as { records: unknown[] }).records).toHaveLength(20);
  });

  it('answers bad SOQL with 400 and Salesforce’s error body', async () => {
    const { sandbox, url } = await startSandbox({ cases: 3 });
    const { get } = await session(sandbox, url);
    const response = await get(`/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id FROM Case WHERE')}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual([{ message: expect.stringContaining('ERROR at Row:1:Column:26'), errorCode: 'MALFORMED_QUERY' }]);
  });

  it('answers 503 SERVER_UNAVAILABLE without a Retry-After, as Salesforce does', async () => {
    const { sandbox, url } = await startSandbox({ cases: 3, rateLimitEvery: 1, rateLimitStyle: 'unavailable' });
    const { get } = await session(sandbox, url);
    const refused = await get('/services/data/v62.0/limits');
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, null]);
    expect(await refused.json()).toEqual([{ message: 'Server is temporarily unavailable.', errorCode: 'SERVER_UNAVAILABLE' }]);
  });

  it('answers revoked tokens with 401 and revoke errors with 400', async () => {
    const { sandbox, url } = await startSandbox({ cases: 3 });
    const { token, get } = await session(sandbox, url);
    expect((await fetch(`${url}/services/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token }) })).status).toBe(200);
    expect((await get('/services/data/v62.0/limits')).status).toBe(401);
    expect((await fetch(`${url}/services/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token }) })).status).toBe(400);
    const badGrant = await fetch(`${url}/services/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'implicit' }) });
    expect([badGrant.status, await badGrant.json()]).toEqual([400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' }]);
  });
});

describe('salesforce sandbox: write-back through jsforce', () => {
  async function login(sandbox: Sandbox, url: string): Promise<Connection> {
    const conn = new Connection({ loginUrl: url, version: '62.0' });
    await conn.login(sandbox.credentials.username, sandbox.credentials.password + sandbox.credentials.securityToken);
    return conn;
  }

  it('creates a private CaseComment draft, which changes its own SystemModstamp and not its Case\'s', async () => {
    const { sandbox, url } = await startSandbox({ cases: 3 });
    const conn = await login(sandbox, url);
    const caseId = sandbox.store.threads[0]!.caseId;
    const before = sandbox.store.get(caseId)!.row.SystemModstamp;
    const result = await conn.sobject('CaseComment').create({ ParentId: caseId, CommentBody: 'Draft: here is how to reset it.', IsPublished: false });
    expect(result).toEqual({ id: expect.stringMatching(/^00a[A-Za-z0-9]{15}$/), success: true, errors: [] });
    const comment = await conn.sobject('CaseComment').retrieve(String(result.id));
    expect(comment).toMatchObject({ ParentId: caseId, IsPublished: false, CommentBody: 'Draft: here is how to reset it.' });
    expect(sandbox.store.get(caseId)!.row.SystemModstamp).toBe(before);
    expect(Number(sandbox.store.get(String(result.id))!.row.SystemModstamp)).toBeGreaterThanOrEqual(Number(before));
    await expect(conn.sobject('CaseComment').create({ CommentBody: 'orphan' })).rejects.toMatchObject({ errorCode: 'REQUIRED_FIELD_MISSING' });
  });

  it('updates Case triage fields and refuses read-only ones', async () => {
    const { sandbox, url } = await startSandbox({ cases: 3 });
    const conn = await login(sandbox, url);
    const caseId = sandbox.store.threads[1]!.caseId;
    await conn.sobject('Case').update({ Id: caseId, Type: 'Billing', Reason: 'Refund request', Priority: 'High' });
    expect(await conn.sobject('Case').retrieve(caseId)).toMatchObject({ Type: 'Billing', Reason: 'Refund request', Priority: 'High' });
    await expect(conn.sobject('Case').update({ Id: caseId, CaseNumber: '1' })).rejects.toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE' });
    await expect(conn.sobject('Case').update({ Id: caseId, Nope: '1' })).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
  });

  it('creates a compliance Task on a Case with Salesforce’s defaults', async () => {
    const { sandbox, url } = await startSandbox({ cases: 3 });
    const conn = await login(sandbox, url);
    const caseId = sandbox.store.threads[2]!.caseId;
    const result = await conn.sobject('Task').create({ WhatId: caseId, Subject: 'Compliance: PII in reply', Description: 'Evidence …', ActivityDate: '2025-02-01' });
    const rows = await conn.query<{ Id: string; Status: string; Priority: string; ActivityDate: string; What: { Name?: string } | null }>(`SELECT Id, Status, Priority, ActivityDate, Subject FROM Task WHERE WhatId = '${caseId}'`);
    expect(rows.records).toEqual([expect.objectContaining({ Id: result.id, Status: 'Not Started', Priority: 'Normal', ActivityDate: '2025-02-01', Subject: 'Compliance: PII in reply' })]);
  });
});
