/**
 * GET /api/v1/openapi.json is a valid OpenAPI 3.1 document (checked by a maintained validator), lists
 * every /api/v1 route of the app with the role it declares, and /api/docs serves the reference page
 * and its files from the hub itself.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { declaredRole } from '../../src/web/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testDeps } from '../support/app.ts';

type Operation = { 'x-required-role'?: string; security?: unknown[]; parameters?: Array<{ in: string; name: string }>; responses: Record<string, unknown> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('OpenAPI document and reference page', () => {
  let database: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let document: Document;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = createApp(testDeps(database, null));
    const response = await app.request('/api/v1/openapi.json');
    expect(response.status).toBe(200);
    document = (await response.json()) as Document;
  });
  afterAll(async () => {
    await database.drop();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every /api/v1 route of the app, with its role, security and path parameters', () => {
    const missing: string[] = [];
    const seen = new Set<string>();
    for (const route of app.routes) {
      if (route.method === 'ALL' || !route.path.startsWith('/api/v1/') || route.path === '/api/v1/openapi.json') continue;
      const role = declaredRole(route.handler);
      if (!role) continue;
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      seen.add(`${route.method} ${path}`);
      if (!operation) {
        missing.push(`${route.method} ${route.path} is not in the document`);
        continue;
      }
      if (operation['x-required-role'] !== role) missing.push(`${route.method} ${route.path}: document says ${operation['x-required-role']}, route declares ${role}`);
      expect(operation.security).toEqual([{ bearer: [] }]);
      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        if (!operation.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === name)) missing.push(`${route.method} ${route.path}: no path parameter ${name}`);
      }
      for (const status of ['401', '403']) if (!operation.responses[status]) missing.push(`${route.method} ${route.path}: no ${status} response`);
    }
    expect(missing).toEqual([]);
    // Nothing documented that the app does not serve.
    const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.filter((key) => !seen.has(key))).toEqual([]);
    expect(seen.size).toBeGreaterThan(60);
  });

  it('answers validation failures in the API error shape', async () => {
    const { createToken } = await import('../../src/auth/tokens.ts');
    const { token } = await createToken(database.db, 'docs', 'test');
    const response = await app.request('/api/v1/tokens', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x', roles: ['nobody'] }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/^json roles\.0: /) } });
  });

  it('serves the reference page and its files from node_modules, no CDN', async () => {
    const page = await app.request('/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith('/api/docs/'), asset).toBe(true);
      const response = await app.request(asset);
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    expect(await (await app.request('/api/docs/init.js')).text()).toContain("url: '/api/v1/openapi.json'");
    expect((await app.request('/api/docs/package.json')).status).toBe(404);
    expect((await app.request('/api/docs/..%2Fpackage.json')).status).toBe(404);
  });
});
