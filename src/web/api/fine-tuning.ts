/**
 * /api/v1/fine_tuning/jobs: OpenAI's fine-tuning jobs API (create, list, retrieve, cancel, events,
 * checkpoints), plus live events as Server-Sent Events and the loss curve (`/metrics`).
 * https://platform.openai.com/docs/api-reference/fine-tuning
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import type { TrainingBackend } from '../../db/schema/index.ts';
import { eventsSince, listCheckpoints, listEvents, listMetrics } from '../../training/events.ts';
import { cancelJob, createJob, getJob, JobInputError, listJobs, NewFineTuningJob, type FineTuningJob } from '../../training/jobs.ts';
import { modelForJob } from '../../training/outcomes.ts';
import { sweepTrials } from '../../training/sweep/settle.ts';
import { publicCheckpoint, publicEvent, publicJob, publicMetric } from '../../training/present.ts';
import { isTerminal } from '../../training/status.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound, unavailable } from '../openapi.ts';

/** How often a live stream looks for new events. */
const STREAM_POLL_MS = 500;

function badRequest(error: unknown): never {
  if (error instanceof JobInputError) throw new ApiError(400, 'invalid_request', error.param ? `${error.param}: ${error.message}` : error.message);
  throw error;
}

/** OpenAI's `metadata[key]=value` query parameters. */
function metadataFilter(query: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    const match = /^metadata\[(.+)\]$/.exec(key);
    if (match?.[1]) out[match[1]] = value;
  }
  return out;
}

export function fineTuningRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();
  const backends: TrainingBackend[] = ['local', ...(deps.config.OPENAI_API_KEY ? (['openai'] as const) : [])];

  const load = async (id: string): Promise<FineTuningJob> => {
    const job = await getJob(db, id);
    if (!job) throw new ApiError(404, 'not_found', `no fine-tuning job "${id}"`);
    return job;
  };
  const present = async (job: FineTuningJob) => publicJob(job, { modelId: job.status === 'succeeded' ? ((await modelForJob(db, job.id))?.id ?? null) : null, prices: deps.config.TRAINING_PRICES });

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/jobs',
      tags: ['fine_tuning'],
      summary: 'Create a fine-tuning job (OpenAI fine-tuning API)',
      request: { body: jsonBody(NewFineTuningJob) },
      responses: { 200: { description: 'the job' }, ...unavailable },
    }),
    async (c) => {
      if (!deps.queue) throw new ApiError(503, 'unavailable', 'the job queue is not running');
      const job = await createJob(db, c.req.valid('json'), { queue: deps.queue, actor: c.get('actor'), backends, baseModels: deps.config.TRAINING_BASE_MODELS, home: deps.config.TUNELOOP_HOME }).catch(badRequest);
      return c.json(await present(job));
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/jobs',
      tags: ['fine_tuning'],
      summary: 'List fine-tuning jobs (OpenAI fine-tuning API)',
      request: { query: z.looseObject({ after: z.string().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }) },
      responses: { 200: { description: 'the jobs' } },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const { rows, hasMore } = await listJobs(db, { after: query.after, limit: query.limit, metadata: metadataFilter(c.req.query()) }).catch(badRequest);
      return c.json({ object: 'list', data: await Promise.all(rows.map(present)), has_more: hasMore });
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/jobs/{id}',
      tags: ['fine_tuning'],
      summary: 'Show a fine-tuning job',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the job' }, ...notFound('fine-tuning job') },
    }),
    async (c) => c.json(await present(await load(c.req.param('id')))),
  );

  // A sweep's trials with their hyperparameters, status and validation loss, and the best so far: what a dashboard charts.
  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/jobs/{id}/trials',
      tags: ['fine_tuning'],
      summary: "A sweep's trials with their hyperparameters, status and validation loss, and the best so far",
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the trials' }, ...notFound('fine-tuning job') },
    }),
    async (c) => {
      const job = await load(c.req.param('id'));
      const trials = await sweepTrials(db, job.id);
      const scored = trials.filter((trial) => trial.best_eval_loss !== null);
      const best = scored.sort((a, b) => (a.best_eval_loss ?? 0) - (b.best_eval_loss ?? 0))[0] ?? null;
      return c.json({
        object: 'list',
        sweep: (job.hyperparameters as { sweep?: unknown }).sweep ?? null,
        status: job.status,
        best_trial: best?.trial ?? null,
        data: trials.map(({ modelId, fineTunedModel, trainedTokens: _tokens, ...trial }) => ({ ...trial, model_id: modelId, fine_tuned_model: fineTunedModel })),
      });
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/jobs/{id}/cancel',
      tags: ['fine_tuning'],
      summary: 'Cancel a fine-tuning job',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the job' }, ...notFound('fine-tuning job') },
    }),
    async (c) => {
      const job = await cancelJob(db, deps.queue, (await load(c.req.param('id'))).id, c.get('actor'));
      if (!job) throw new ApiError(404, 'not_found', 'no such fine-tuning job');
      return c.json(await present(job));
    },
  );

  const stream = (c: Context, job: FineTuningJob, since: number) =>
    streamSSE(c, async (sse) => {
      let last = since;
      let open = true;
      sse.onAbort(() => {
        open = false;
      });
      while (open) {
        // Read the status first: events written before a final status are all sent before `end`.
        const current = await getJob(db, job.id);
        for (const event of await eventsSince(db, job.id, last)) {
          await sse.writeSSE({ id: String(event.id), event: 'fine_tuning.job.event', data: JSON.stringify(publicEvent(event)) });
          last = event.id;
        }
        if (!current || isTerminal(current.status)) {
          const remaining = await eventsSince(db, job.id, last);
          if (remaining.length) continue;
          await sse.writeSSE({ event: 'end', data: JSON.stringify({ status: current?.status ?? 'deleted' }) });
          return;
        }
        await sse.sleep(STREAM_POLL_MS);
      }
    });

  const StreamQuery = z.object({ since: z.coerce.number().int().min(0).optional() });
  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/jobs/{id}/events/stream',
      tags: ['fine_tuning'],
      summary: "Follow a job's events live (server-sent events; resumes from Last-Event-ID)",
      request: { params: z.object({ id: z.string().min(1).max(200) }), query: StreamQuery },
      responses: { 200: { description: 'job events as they happen', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...notFound('fine-tuning job') },
    }),
    async (c) => {
      const job = await load(c.req.param('id'));
      const lastEventId = Number(c.req.header('last-event-id'));
      return stream(c, job, Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId : (c.req.valid('query').since ?? 0));
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/jobs/{id}/events',
      tags: ['fine_tuning'],
      summary: "List a job's events (add stream=true for server-sent events)",
      request: { params: z.object({ id: z.string().min(1).max(200) }), query: z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).default(20), stream: z.enum(['true', 'false']).optional(), since: z.coerce.number().int().min(0).optional() }) },
      responses: { 200: { description: 'the events' }, ...notFound('fine-tuning job') },
    }),
    async (c) => {
      const job = await load(c.req.param('id'));
      const query = c.req.valid('query');
      if (query.stream === 'true') {
        const lastEventId = Number(c.req.header('last-event-id'));
        return stream(c, job, Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId : (query.since ?? 0));
      }
      const { rows, hasMore } = await listEvents(db, job.id, { after: query.after, limit: query.limit });
      return c.json({ object: 'list', data: rows.map(publicEvent), has_more: hasMore });
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/jobs/{id}/checkpoints',
      tags: ['fine_tuning'],
      summary: "List a job's checkpoints",
      request: { params: z.object({ id: z.string().min(1).max(200) }), query: z.object({ after: z.string().optional(), limit: z.coerce.number().int().min(1).max(100).default(10) }) },
      responses: { 200: { description: 'the checkpoints' }, ...notFound('fine-tuning job') },
    }),
    async (c) => {
      const job = await load(c.req.param('id'));
      const { rows, hasMore } = await listCheckpoints(db, job.id, c.req.valid('query'));
      return c.json({ object: 'list', data: rows.map(publicCheckpoint), first_id: rows[0]?.id ?? null, last_id: rows.at(-1)?.id ?? null, has_more: hasMore });
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/jobs/{id}/metrics',
      tags: ['fine_tuning'],
      summary: "A job's training and validation loss, learning rate, per step",
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the metrics' }, ...notFound('fine-tuning job') },
    }),
    async (c) => {
      const job = await load(c.req.param('id'));
      return c.json({ object: 'list', data: (await listMetrics(db, job.id)).map(publicMetric) });
    },
  );

  return app;
}
