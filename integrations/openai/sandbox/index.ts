/**
 * A loopback OpenAI: the fine-tuning part of the API (/v1/files, /v1/fine_tuning/jobs with cancel,
 * events and checkpoints, /v1/models) with OpenAI's shapes, bearer auth and error bodies, jobs that
 * progress on a timer with realistic events, and fault injection (429 with Retry-After, 5xx
 * bursts, a failing job). Point the `openai` SDK at it with `baseURL: `${url}/v1``.
 * Contract: https://github.com/openai/openai-openapi (openapi.yaml).
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { DEFAULT_FAULTS, openaiError, sandboxMiddleware, type OpenAISandboxFaults, type SandboxHttpState } from './http.ts';
import { fileRoutes } from './routes-files.ts';
import { jobRoutes } from './routes-jobs.ts';
import { OpenAISandboxStore } from './store.ts';

export type { OpenAISandboxFaults } from './http.ts';
export type { OpenAISandboxStore, SandboxJob } from './store.ts';

/** Not a secret: the loopback sandbox's fixed key. */
export const SANDBOX_API_KEY = 'sk-tuneloop-sandbox-key';

export interface OpenAISandboxOptions extends Partial<OpenAISandboxFaults> {
  apiKey?: string;
  seed?: number;
  /** Time between two status changes or training steps of a job. */
  stepMs?: number;
  /** Upper bound on a job's steps, so sandbox jobs end quickly whatever the data size. */
  maxSteps?: number;
}

export interface OpenAISandbox {
  app: Hono;
  store: OpenAISandboxStore;
  http: SandboxHttpState;
  setFaults(faults: Partial<OpenAISandboxFaults>): void;
  listen(port?: number): Promise<{ url: string; close(): Promise<void> }>;
  close(): void;
}

export function createOpenAISandbox(options: OpenAISandboxOptions = {}): OpenAISandbox {
  const store = new OpenAISandboxStore(options.seed ?? 1, options.stepMs ?? 200, options.maxSteps ?? 20);
  const faults: OpenAISandboxFaults = { ...DEFAULT_FAULTS };
  for (const key of Object.keys(DEFAULT_FAULTS) as (keyof OpenAISandboxFaults)[]) {
    if (options[key] !== undefined) Object.assign(faults, { [key]: options[key] });
  }
  const http: SandboxHttpState = { apiKey: options.apiKey ?? SANDBOX_API_KEY, faults, requestLog: [], violations: [] };

  const app = new Hono();
  app.use('/v1/*', sandboxMiddleware(http));
  app.route('/v1', fileRoutes(store));
  app.route('/v1', jobRoutes(store));
  app.notFound((c) => openaiError(c, 404, `Invalid URL (${c.req.method} ${c.req.path})`));
  app.onError((error, c) => openaiError(c, 500, `The sandbox failed: ${error.message}`, { type: 'server_error' }));

  return {
    app,
    store,
    http,
    setFaults(next) {
      Object.assign(faults, next);
    },
    close: () => store.close(),
    listen(port = 0) {
      return new Promise((resolve) => {
        const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => {
          resolve({
            url: `http://127.0.0.1:${info.port}`,
            close: () =>
              new Promise<void>((done) => {
                store.close();
                (server as Server).closeAllConnections?.();
                server.close(() => done());
              }),
          });
        });
      });
    },
  };
}

export async function startOpenAISandbox(options: OpenAISandboxOptions & { port?: number } = {}) {
  const sandbox = createOpenAISandbox(options);
  const server = await sandbox.listen(options.port ?? 0);
  return { ...server, sandbox };
}
