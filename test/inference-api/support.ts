/** The hub served over HTTP on loopback (the openai SDK needs a URL), a fake model server, and token helpers. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import OpenAI from 'openai';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import type { Db } from '../../src/db/client.ts';
import { createGateway, type Gateway } from '../../src/models/gateway/gateway.ts';
import { createInferenceToken, NewInferenceToken } from '../../src/models/gateway/tokens.ts';
import type { Queue } from '../../src/queue/queue.ts';
import { testDeps } from '../support/app.ts';
import type { TestDatabase } from '../support/database.ts';

export interface ServedHub {
  url: string;
  gateway: Gateway;
  close(): Promise<void>;
}

export async function serveHub(database: TestDatabase, queue: Queue | null, env: Record<string, string>): Promise<ServedHub> {
  const deps = testDeps(database, queue, env);
  const gateway = createGateway(deps);
  const app = createApp(deps, { gateway });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    gateway,
    close: async () => {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

export async function inferenceToken(db: Db, input: Partial<NewInferenceToken> & { name?: string }): Promise<string> {
  return (await createInferenceToken(db, NewInferenceToken.parse({ name: 'app', ...input }), 'test')).token;
}

export async function adminToken(db: Db): Promise<string> {
  return (await createToken(db, 'admin', 'test')).token;
}

export function sdk(hub: ServedHub, apiKey: string): OpenAI {
  return new OpenAI({ baseURL: hub.url, apiKey, maxRetries: 0, timeout: 10_000 });
}
