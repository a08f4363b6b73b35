import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxWebhooks } from '../../integrations/zendesk/sandbox/routes-webhooks.ts';
import { createZendeskSandbox, SANDBOX_DEFAULTS, type ZendeskSandbox } from '../../integrations/zendesk/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { createConnection } from '../../src/connections/store.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createKeyring } from '../../src/security/encryption.ts';
import { loadEndpoint } from '../../src/webhooks/secrets.ts';
import { testDeps } from '../support/app.ts';
import { startCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { jobCounts, type Hub } from './helpers.ts';

describe('tuneloop zendesk install (against the Zendesk sandbox), then a real delivery', () => {
  let database: TestDatabase;
  let queue: Queue;
  let sandbox: ZendeskSandbox;
  let sandboxUrl: string;
  let closeSandbox: () => Promise<void>;
  let hubUrl: string;
  let server: Server;
  let connectionId: string;
  const key = randomBytes(32);
  const keyring = createKeyring(key);

  // An async child (not spawnSync): the sandbox and the hub answer from this very process.
  const cli = async (...args: string[]) => {
    const running = startCli(args, { DATABASE_URL: database.url, TUNELOOP_ENCRYPTION_KEY: key.toString('base64'), LOG_LEVEL: 'warn' });
    const { code } = await running.exited;
    return { code, output: running.output() };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    const app = createApp({ ...testDeps(database, queue), keyring });
    hubUrl = await new Promise<string>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(`http://127.0.0.1:${info.port}`)) as Server;
    });
    sandbox = createZendeskSandbox({ tickets: 5 });
    ({ url: sandboxUrl, close: closeSandbox } = await sandbox.listen());
    const row = await createConnection(
      database.db,
      keyring,
      { vendor: 'zendesk', name: 'zd-hooks', settings: { baseUrl: sandboxUrl }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } },
      'test',
      { allowedHosts: ['127.0.0.1'] },
    );
    connectionId = row.id;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await closeSandbox?.();
    await queue?.stop({ timeoutMs: 2_000 });
    await database?.drop();
  });

  it('--print shows the manual steps and creates nothing; a bad --url or an unknown connection is refused', async () => {
    // Three CLI start-ups at once: each costs seconds of module loading.
    const [printed, badUrl, unknown] = await Promise.all([
      cli('zendesk', 'install', 'zd-hooks', '--url', 'https://hub.example.com', '--print'),
      cli('zendesk', 'install', 'zd-hooks', '--url', 'ftp://x'),
      cli('zendesk', 'install', 'nope', '--url', 'https://hub.example.com'),
    ]);
    expect(printed.code).toBe(0);
    expect(printed.output).toContain(`https://hub.example.com/webhooks/zendesk/${connectionId}`);
    expect(printed.output).toMatch(/Triggers > Create trigger/);
    expect(badUrl.code).toBe(2);
    expect(unknown.code).toBe(1);
    expect(sandboxWebhooks(sandbox.store).webhooks.size).toBe(0);
  });

  it('creates exactly one webhook and one trigger across two runs, and stores the signing secret sealed', async () => {
    const first = await cli('zendesk', 'install', 'zd-hooks', '--url', hubUrl);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/webhook \S+ created/);
    expect(first.output).toMatch(/trigger \d+ created/);
    const second = await cli('zendesk', 'install', 'zd-hooks', '--url', `${hubUrl}/`);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toMatch(/webhook \S+ already there, reused/);
    expect(second.output).toMatch(/trigger \d+ already there, reused/);

    const { webhooks, triggers } = sandboxWebhooks(sandbox.store);
    expect(webhooks.size).toBe(1);
    expect(triggers.size).toBe(1);
    const [webhook] = [...webhooks.values()];
    expect(webhook?.endpoint).toBe(`${hubUrl}/webhooks/zendesk/${connectionId}`);
    // The secret never reaches the output, and is stored sealed.
    expect(first.output + second.output).not.toContain(webhook?.secret);
    const stored = await loadEndpoint(database.db, keyring, connectionId);
    expect(stored?.secret).toBe(webhook?.secret);
    expect(stored?.vendorWebhookId).toBe(webhook?.id);
  });

  it('a ticket event delivered by the sandbox is verified and enqueues one job of each kind', async () => {
    const statuses = await sandboxWebhooks(sandbox.store).deliver(3);
    expect(statuses).toEqual([200]);
    expect(await jobCounts({ database } as Hub, connectionId)).toEqual({ 'draft.generate': 1, 'triage.apply': 1 });
  });
});
