/**
 * OpenAI's Files and Batch APIs as far as batches need them: `POST /v1/files` (purpose `batch`,
 * JSONL checked line by line at upload), `GET /v1/files/{id}` and `/content`, and
 * `POST/GET /v1/batches`, `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`. A token sees only
 * its own files and batches.
 */
import { eq } from 'drizzle-orm';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { inferenceFiles } from '../../db/schema/index.ts';
import { BatchInputError, BATCH_URLS, MAX_BATCH_FILE_BYTES, parseBatchInput } from '../../models/gateway/batch-input.ts';
import { cancelBatch, createBatch, getBatch, listBatches, publicBatch, publicFile, readFileText, storeFile, type BatchRow, type FileRow } from '../../models/gateway/batches.ts';
import type { Caller } from '../../models/gateway/gateway.ts';
import type { CallerVariables } from './auth.ts';
import { jsonBody, openaiError } from './errors.ts';
import { parseBody } from './relay.ts';
import { GatewayError } from '../../models/gateway/gateway.ts';

type Ctx = Context<{ Variables: CallerVariables }>;

const NewBatch = z.strictObject({
  input_file_id: z.string().min(1).max(100),
  endpoint: z.enum(BATCH_URLS),
  completion_window: z.literal('24h'),
  metadata: z.record(z.string().max(64), z.string().max(512)).refine((m) => Object.keys(m).length <= 16, 'at most 16 keys').nullish(),
});

const ownerId = (caller: Caller) => (caller.kind === 'inference' ? caller.token.id : null);
const owns = (caller: Caller, row: { tokenId: string | null }) => caller.kind === 'api' || row.tokenId === caller.token.id;

export function batchRoutes(deps: AppDeps, auth: MiddlewareHandler<{ Variables: CallerVariables }>) {
  const app = new Hono<{ Variables: CallerVariables }>();
  const db = deps.database.db;

  const fileFor = async (c: Ctx, id: string): Promise<FileRow | null> => {
    const [row] = await db.select().from(inferenceFiles).where(eq(inferenceFiles.id, id));
    return row && owns(c.get('caller'), row) ? row : null;
  };
  const batchFor = async (c: Ctx, id: string): Promise<BatchRow | null> => {
    const row = await getBatch(db, id);
    return row && owns(c.get('caller'), row) ? row : null;
  };
  const noFile = (c: Ctx, id: string) => openaiError(c, 404, 'invalid_request_error', 'file_not_found', `No such File object: ${id}`, 'file_id');
  const noBatch = (c: Ctx, id: string) => openaiError(c, 404, 'invalid_request_error', 'batch_not_found', `No such Batch object: ${id}`, 'batch_id');

  app.post('/files', auth, async (c) => {
    if (Number(c.req.header('content-length') ?? 0) > MAX_BATCH_FILE_BYTES + 64 * 1024) return openaiError(c, 400, 'invalid_request_error', 'file_too_large', `a batch file holds at most ${MAX_BATCH_FILE_BYTES / 1024 / 1024} MB`, 'file');
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody();
    } catch {
      return openaiError(c, 400, 'invalid_request_error', 'invalid_form', 'send multipart/form-data with `file` and `purpose`');
    }
    if (form.purpose !== 'batch') return openaiError(c, 400, 'invalid_request_error', 'invalid_purpose', 'purpose must be "batch" (the only purpose this hub takes files for; fine-tuning files go to /api/v1/files)', 'purpose');
    const file = form.file;
    if (!(file instanceof File)) return openaiError(c, 400, 'invalid_request_error', 'missing_file', 'the form needs a `file` part', 'file');
    if (file.size > MAX_BATCH_FILE_BYTES) return openaiError(c, 400, 'invalid_request_error', 'file_too_large', `a batch file holds at most ${MAX_BATCH_FILE_BYTES / 1024 / 1024} MB`, 'file');
    const text = await file.text();
    try {
      parseBatchInput(text);
    } catch (error) {
      if (error instanceof BatchInputError) return openaiError(c, 400, 'invalid_request_error', 'invalid_batch_file', error.message, 'file');
      throw error;
    }
    const row = await db.transaction((tx) => storeFile(tx, deps.artifacts, { purpose: 'batch', filename: file.name.slice(0, 255) || 'batch.jsonl', body: text, tokenId: ownerId(c.get('caller')) }));
    return c.json(publicFile(row));
  });

  app.get('/files/:id', auth, async (c) => {
    const row = await fileFor(c, c.req.param('id'));
    return row ? c.json(publicFile(row)) : noFile(c, c.req.param('id'));
  });

  app.get('/files/:id/content', auth, async (c) => {
    const row = await fileFor(c, c.req.param('id'));
    if (!row) return noFile(c, c.req.param('id'));
    return c.body(await readFileText(deps.artifacts, row), 200, { 'content-type': 'application/jsonl' });
  });

  app.post('/batches', auth, async (c) => {
    if (!deps.queue) return openaiError(c, 503, 'server_error', 'queue_unavailable', 'the job queue is not running in this process', null, { 'retry-after': '5' });
    let input: z.infer<typeof NewBatch>;
    try {
      input = parseBody(NewBatch, await jsonBody(c));
    } catch (error) {
      if (error instanceof GatewayError) return openaiError(c, error.status, error.type, error.code, error.message, error.param);
      throw error;
    }
    const file = await fileFor(c, input.input_file_id);
    if (!file || file.purpose !== 'batch') return noFile(c, input.input_file_id);
    let total: number;
    try {
      total = parseBatchInput(await readFileText(deps.artifacts, file), input.endpoint).length;
    } catch (error) {
      if (error instanceof BatchInputError) return openaiError(c, 400, 'invalid_request_error', 'invalid_batch_file', error.message, 'input_file_id');
      throw error;
    }
    const row = await createBatch(db, deps.queue, { file, endpoint: input.endpoint, completionWindow: input.completion_window, metadata: input.metadata ?? null, caller: c.get('caller'), total });
    return c.json(publicBatch(row));
  });

  app.get('/batches', auth, async (c) => {
    const limit = Math.min(100, Math.max(1, Number(c.req.query('limit') ?? 20) || 20));
    const rows = (await listBatches(db, { limit: limit + 1, ...(c.req.query('after') ? { after: c.req.query('after')! } : {}) })).filter((row) => owns(c.get('caller'), row));
    const page = rows.slice(0, limit);
    return c.json({ object: 'list', data: page.map(publicBatch), first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: rows.length > limit });
  });

  app.get('/batches/:id', auth, async (c) => {
    const row = await batchFor(c, c.req.param('id'));
    return row ? c.json(publicBatch(row)) : noBatch(c, c.req.param('id'));
  });

  app.post('/batches/:id/cancel', auth, async (c) => {
    if (!(await batchFor(c, c.req.param('id')))) return noBatch(c, c.req.param('id'));
    const row = await cancelBatch(db, c.req.param('id'));
    return c.json(publicBatch(row!));
  });

  return app;
}
