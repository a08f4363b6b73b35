/**
 * A loopback Salesforce org for tests and `tuneloop sandbox salesforce`: the login server (OAuth
 * token endpoint, SOAP login, revoke), the REST API subset jsforce sends for tuneloop (versions,
 * limits, query/queryAll with query locators, sObject rows), the Sforce-Limit-Info header and the
 * daily API limit, and faults a test can switch on at any time.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
 * https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm
 */
import { listenOnLoopback } from '../../sandbox-kit/server.ts';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { DEFAULT_SANDBOX_CREDENTIALS, SandboxAuth, type SandboxCredentials } from './auth.ts';
import { compositeRoutes } from './composite.ts';
import { describeRoutes } from './describe.ts';
import { queryRoutes, salesforceError } from './query.ts';
import { SalesforceStore } from './records.ts';
import { sobjectRoutes } from './sobjects.ts';

export interface SalesforceFaults {
  /** Every nth API call is refused as over a load limit (see rateLimitStyle); 0: never. */
  rateLimitEvery?: number;
  /**
   * 'concurrent': 403 REQUEST_LIMIT_EXCEEDED "ConcurrentPerOrgLongTxn Limit exceeded." (what
   * Salesforce answers over its concurrency limit). 'unavailable': 503 SERVER_UNAVAILABLE. Neither
   * carries a Retry-After: Salesforce sends none, so clients back off on their own.
   */
  rateLimitStyle?: 'concurrent' | 'unavailable';
  /** Accepted for compatibility with the other sandboxes' options; Salesforce sends no Retry-After. */
  retryAfterSeconds?: number;
  /** After `after` more API calls (default 0), the next `count` fail with `status` (default 500). */
  errorBurst?: { count: number; after?: number; status?: 500 | 502 | 503 } | null;
  latencyMs?: number;
  /** Each access token answers this many API calls, then 401 INVALID_SESSION_ID; 0: never expires. */
  expireTokens?: number;
  /** Successful API responses become an HTML page, or JSON missing documented fields. */
  malformed?: 'html' | 'missing-fields' | null;
}

export interface SalesforceSandboxOptions extends SalesforceFaults {
  seed?: number;
  cases?: number;
  /** Records per query page; the real default (and maximum) is 2,000. */
  pageSize?: number;
  /** Daily API request allocation (Developer Edition: 15,000) and the calls already used. */
  apiLimit?: number;
  apiUsage?: number;
  credentials?: Partial<SandboxCredentials>;
}

export const SUPPORTED_VERSIONS = Array.from({ length: 35 }, (_, i) => `${31 + i}.0`);

function versionLabel(version: string): string {
  const index = Number.parseFloat(version) - 62; // 62.0 is Winter '25; three releases a year
  const season = ['Winter', 'Spring', 'Summer'][((index % 3) + 3) % 3];
  return `${season} '${25 + Math.floor(index / 3)}`;
}

const MAINTENANCE_PAGE = '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request. Please try again later.</p></body></html>';

export function createSalesforceSandbox(options: SalesforceSandboxOptions = {}) {
  // The connected app's certificate: a key pair made for this sandbox unless the test brings its own.
  const keys = options.credentials?.jwtPublicKey ? null : generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const credentials = { ...DEFAULT_SANDBOX_CREDENTIALS, clientCredentialsFlow: true, ...(keys ? { jwtPublicKey: keys.publicKey, jwtPrivateKey: keys.privateKey } : {}), ...options.credentials };
  const store = new SalesforceStore(options.seed ?? 1, options.cases ?? 200, { username: credentials.username, name: 'Tuneloop Integration', email: 'integration@tuneloop-sandbox.example' });
  const faults: SalesforceFaults = {};
  const limits = { used: options.apiUsage ?? 0, max: options.apiLimit ?? 15_000 };
  const pageSize = options.pageSize ?? 2000;
  const auth = new SandboxAuth(credentials, store, () => faults.expireTokens ?? 0);
  let apiCalls = 0;
  let burst: { skip: number; remaining: number; status: 500 | 502 | 503 } | null = null;
  /** Marks a composite's subrequests, which run through the routes below but are not calls of their own. */
  const internal = randomBytes(16).toString('hex');

  function setFaults(patch: SalesforceFaults): void {
    Object.assign(faults, patch);
    if ('errorBurst' in patch) {
      burst = patch.errorBurst ? { skip: patch.errorBurst.after ?? 0, remaining: patch.errorBurst.count, status: patch.errorBurst.status ?? 500 } : null;
    }
  }
  const { seed: _seed, cases: _cases, pageSize: _pageSize, apiLimit: _apiLimit, apiUsage: _apiUsage, credentials: _credentials, ...initialFaults } = options;
  setFaults(initialFaults);

  const app = new Hono({ strict: false });
  const limitInfo = (c: Context) => c.header('Sforce-Limit-Info', `api-usage=${limits.used}/${limits.max}`);

  // Log every request (a composite's subrequests are part of their composite call).
  app.use('*', async (c, next) => {
    if (c.req.header('x-sandbox-subrequest') === internal) return next();
    await next();
    const isQuery = /\/query(All)?\/?$/.test(c.req.path);
    store.requestLog.push({ at: Date.now(), method: c.req.method, path: c.req.path, soql: isQuery ? (c.req.query('q') ?? null) : null, status: c.res.status });
    // A long-running `tuneloop sandbox salesforce` keeps only the recent half of a full log.
    if (store.requestLog.length > 100_000) store.requestLog.splice(0, 50_000);
  });

  app.route('/', auth.routes());

  // The gate every REST call passes: version, session, daily limit, injected faults, usage count.
  app.use('/services/data/*', async (c, next) => {
    if (c.req.header('x-sandbox-subrequest') === internal) return next();
    if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    const version = /^\/services\/data\/([^/]+)/.exec(c.req.path)?.[1];
    if (!version) return next(); // GET /services/data lists versions without a session
    if (!/^v\d+\.0$/.test(version) || !SUPPORTED_VERSIONS.includes(version.slice(1))) return salesforceError(c, 404, 'NOT_FOUND', 'The requested resource does not exist');
    if (!auth.useSession(c.req.header('Authorization'), true)) return salesforceError(c, 401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    limitInfo(c);
    if (limits.used >= limits.max) return salesforceError(c, 403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    apiCalls++;
    if (faults.rateLimitEvery && apiCalls % faults.rateLimitEvery === 0) {
      if (faults.rateLimitStyle === 'unavailable') return salesforceError(c, 503, 'SERVER_UNAVAILABLE', 'Server is temporarily unavailable.');
      return salesforceError(c, 403, 'REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.');
    }
    if (burst && burst.skip > 0) burst.skip--;
    else if (burst && burst.remaining > 0) {
      burst.remaining--;
      if (burst.status === 500) return salesforceError(c, 500, 'UNKNOWN_EXCEPTION', `An unexpected error occurred. Please include this ErrorId if you contact support: ${1_000_000_000 + apiCalls}-${apiCalls} (-1)`);
      return c.html(MAINTENANCE_PAGE, burst.status);
    }
    limits.used++;
    limitInfo(c);
    await next();
    if (faults.malformed && c.res.status === 200 && c.res.headers.get('content-type')?.startsWith('application/json')) {
      const headers = new Headers(c.res.headers);
      if (faults.malformed === 'html') {
        headers.set('content-type', 'text/html; charset=UTF-8');
        c.res = new Response('<html><body><p>Salesforce is down for maintenance.</p></body></html>', { status: 200, headers });
      } else {
        c.res = new Response(JSON.stringify(stripDocumentedFields(await c.res.json())), { status: 200, headers });
      }
    }
  });

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_versions.htm
  app.get('/services/data', (c) => c.json(SUPPORTED_VERSIONS.map((v) => ({ label: versionLabel(v), url: `/services/data/v${v}`, version: v }))));

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_discoveryresource.htm
  app.get('/services/data/:version', (c) => {
    const base = `/services/data/${c.req.param('version')}`;
    return c.json({
      limits: `${base}/limits`,
      sobjects: `${base}/sobjects`,
      query: `${base}/query`,
      queryAll: `${base}/queryAll`,
      identity: auth.identityFor(new URL(c.req.url).origin),
      composite: `${base}/composite`,
      search: `${base}/search`,
      recent: `${base}/recent`,
    });
  });

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm
  app.get('/services/data/:version/limits', (c) =>
    c.json({
      ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
      DailyApiRequests: { Max: limits.max, Remaining: Math.max(0, limits.max - limits.used) },
      DailyAsyncApexExecutions: { Max: 250_000, Remaining: 250_000 },
      DataStorageMB: { Max: 5, Remaining: 5 },
      FileStorageMB: { Max: 20, Remaining: 20 },
    }),
  );

  app.route('/services/data', queryRoutes(store, () => pageSize));
  app.route(
    '/services/data',
    compositeRoutes((url, authorization) => Promise.resolve(app.fetch(new Request(`http://sandbox.internal${url}`, { headers: { authorization, 'x-sandbox-subrequest': internal } })))),
  );
  // A file's bytes (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_blob_retrieve.htm):
  // binary, not JSON, behind the same session check and API count as every REST call.
  app.get('/services/data/:version/sobjects/ContentVersion/:id/VersionData', (c) => {
    const bytes = store.versionData.get(c.req.param('id').slice(0, 15));
    if (!bytes) return salesforceError(c, 404, 'NOT_FOUND', 'The requested resource does not exist');
    return c.body(new Uint8Array(bytes), 200, { 'Content-Type': 'application/octetstream', 'Content-Length': String(bytes.byteLength) });
  });
  // Before the sObject rows, whose /sobjects/:type/:id would take "describe" for an id.
  app.route('/services/data', describeRoutes());
  app.route('/services/data', sobjectRoutes(store, () => store.integrationUserId));
  app.notFound((c) => salesforceError(c, 404, 'NOT_FOUND', 'The requested resource does not exist'));
  app.onError((_error, c) => salesforceError(c, 500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred.'));

  const listen = (port = 0, hostname = '127.0.0.1') => listenOnLoopback(app.fetch, port, hostname);

  return { app, listen, store, auth, credentials, limits, faults: faults as Readonly<SalesforceFaults>, setFaults };
}

export type SalesforceSandbox = ReturnType<typeof createSalesforceSandbox>;

/** Drops what clients rely on: a query's totalSize/done and every record's Id and attributes. */
function stripDocumentedFields(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(stripDocumentedFields);
  if (!body || typeof body !== 'object') return body;
  const { totalSize: _t, done: _d, Id: _i, id: _id, attributes: _a, ...rest } = body as Record<string, unknown>;
  if (Array.isArray(rest.records)) rest.records = rest.records.map(stripDocumentedFields);
  return rest;
}

/** For `tuneloop sandbox salesforce`: starts the sandbox on loopback; prints nothing. */
export async function startSalesforceSandbox(options: SalesforceSandboxOptions & { port?: number; host?: string } = {}) {
  const { port, host, ...rest } = options;
  const sandbox = createSalesforceSandbox(rest);
  const server = await sandbox.listen(port ?? 0, host ?? '127.0.0.1');
  return { ...server, sandbox, credentials: sandbox.credentials };
}
