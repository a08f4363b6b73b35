/**
 * OpenAI's Batch API on the hub: a batch is a row plus an `inference.batch` job that sends its
 * lines to the model server a few at a time (INFERENCE_BATCH_CONCURRENCY) through the same gateway
 * as live requests (scopes, usage, cost). Each finished line is stored at once, so a batch whose
 * worker died (kill -9) resumes with the lines still open and never repeats a finished one. At the
 * end the output and error files are written and `batch.completed` goes out as a signed webhook.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, lt, sql } from 'drizzle-orm';
import type { ArtifactStore } from '../../artifacts/store.ts';
import type { Db, Tx } from '../../db/client.ts';
import { inferenceBatches, inferenceBatchLines, inferenceFiles } from '../../db/schema/index.ts';
import type { HubDeps } from '../../deps.ts';
import { emitEvent } from '../../events/emit.ts';
import type { JobHandler, Queue } from '../../queue/queue.ts';
import { parseBatchInput, BatchInputError, type BatchLine } from './batch-input.ts';
import { createGateway, GatewayError, type Caller, type Gateway } from './gateway.ts';
import { ChatRequest, CompletionRequest, firstIssue } from './requests.ts';
import { UpstreamConfigError, UpstreamUnavailableError } from './upstream.ts';
import { verifyInferenceTokenById } from './tokens.ts';

export type BatchRow = typeof inferenceBatches.$inferSelect;
export type FileRow = typeof inferenceFiles.$inferSelect;

export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const unix = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : null);

/** OpenAI's File object. */
export function publicFile(row: FileRow) {
  return { id: row.id, object: 'file' as const, bytes: row.bytes, created_at: unix(row.createdAt), filename: row.filename, purpose: row.purpose };
}

/** OpenAI's Batch object. */
export function publicBatch(row: BatchRow) {
  return {
    id: row.id,
    object: 'batch' as const,
    endpoint: row.endpoint,
    errors: row.errors ? { object: 'list', data: row.errors.map((e) => ({ code: e.code, message: e.message, line: e.line, param: null })) } : null,
    input_file_id: row.inputFileId,
    completion_window: row.completionWindow,
    status: row.status,
    output_file_id: row.outputFileId,
    error_file_id: row.errorFileId,
    created_at: unix(row.createdAt),
    in_progress_at: unix(row.inProgressAt),
    expires_at: unix(row.expiresAt),
    finalizing_at: unix(row.finalizingAt),
    completed_at: unix(row.completedAt),
    failed_at: unix(row.failedAt),
    expired_at: null,
    cancelling_at: unix(row.cancellingAt),
    cancelled_at: unix(row.cancelledAt),
    request_counts: { total: row.total, completed: row.completed, failed: row.failed },
    metadata: row.metadata ?? null,
  };
}

export const fileKey = (id: string) => `inference-files/${id}.jsonl`;

export async function readFileText(artifacts: ArtifactStore, row: FileRow): Promise<string> {
  const stream = await artifacts.get(row.path);
  if (!stream) throw new Error(`the contents of file ${row.id} are missing from the artifact store`);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export async function storeFile(db: Tx, artifacts: ArtifactStore, input: { purpose: string; filename: string; body: string; tokenId: string | null }): Promise<FileRow> {
  const id = newId('file');
  const stored = await artifacts.put(fileKey(id), input.body);
  const [row] = await db.insert(inferenceFiles).values({ id, purpose: input.purpose, filename: input.filename, bytes: Buffer.byteLength(input.body), path: stored.key, tokenId: input.tokenId }).returning();
  return row!;
}

export async function createBatch(db: Db, queue: Queue, input: { file: FileRow; endpoint: string; completionWindow: string; metadata: Record<string, string> | null; caller: Caller; total: number }): Promise<BatchRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(inferenceBatches)
      .values({
        id: newId('batch'),
        endpoint: input.endpoint,
        inputFileId: input.file.id,
        completionWindow: input.completionWindow,
        status: 'validating',
        total: input.total,
        metadata: input.metadata,
        tokenId: input.caller.kind === 'inference' ? input.caller.token.id : null,
        apiTokenId: input.caller.kind === 'api' ? input.caller.tokenId : null,
        expiresAt: new Date(Date.now() + 24 * 3600 * 1000),
      })
      .returning();
    await queue.send('inference.batch', { batchId: row!.id }, { tx });
    return row!;
  });
}

/** Cancelling: the runner stops sending lines and finishes the files with what is done. */
export async function cancelBatch(db: Db, id: string): Promise<BatchRow | null> {
  const [row] = await db
    .update(inferenceBatches)
    .set({ status: 'cancelling', cancellingAt: new Date() })
    .where(and(eq(inferenceBatches.id, id), sql`${inferenceBatches.status} IN ('validating', 'in_progress')`))
    .returning();
  return row ?? (await getBatch(db, id));
}

export async function getBatch(db: Db, id: string): Promise<BatchRow | null> {
  const [row] = await db.select().from(inferenceBatches).where(eq(inferenceBatches.id, id));
  return row ?? null;
}

export async function listBatches(db: Db, options: { after?: string; limit: number }): Promise<BatchRow[]> {
  const after = options.after ? await getBatch(db, options.after) : null;
  return db
    .select()
    .from(inferenceBatches)
    .where(after ? lt(inferenceBatches.createdAt, after.createdAt) : undefined)
    .orderBy(desc(inferenceBatches.createdAt))
    .limit(options.limit);
}

async function callerOf(db: Db, batch: BatchRow): Promise<Caller | null> {
  if (batch.apiTokenId) return { kind: 'api', tokenId: batch.apiTokenId, name: 'batch' };
  const token = batch.tokenId ? await verifyInferenceTokenById(db, batch.tokenId) : null;
  return token ? { kind: 'inference', token } : null;
}

/** One line through the gateway: `{id, custom_id, response, error}` as OpenAI's output lines are. */
async function runLine(gateway: Gateway, caller: Caller, batchId: string, line: BatchLine, signal: AbortSignal): Promise<{ result: Record<string, unknown>; ok: boolean }> {
  const requestId = newId('batch_req');
  const failed = (code: string, message: string) => ({ ok: false, result: { id: requestId, custom_id: line.custom_id, response: null, error: { code, message } } });
  const chat = line.url === '/v1/chat/completions';
  const parsed = (chat ? ChatRequest : CompletionRequest).safeParse({ ...line.body, stream: false });
  if (!parsed.success) return failed('invalid_request', firstIssue(parsed.error).message);
  let prepared = null;
  try {
    prepared = await gateway.prepare(caller, chat ? '/chat/completions' : '/completions', parsed.data);
    const { response } = await gateway.upstream.send(prepared.resolved.model, chat ? '/chat/completions' : '/completions', { ...parsed.data, stream: false }, signal);
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    const usage = (body?.usage ?? null) as { prompt_tokens?: number; completion_tokens?: number } | null;
    gateway.finish(prepared, { status: response.status, promptTokens: usage?.prompt_tokens ?? null, completionTokens: usage?.completion_tokens ?? null, batchId });
    const answer = response.ok && body ? { ...body, model: prepared.resolved.requested } : body;
    return { ok: response.ok, result: { id: requestId, custom_id: line.custom_id, response: { status_code: response.status, request_id: requestId, body: answer }, error: null } };
  } catch (error) {
    if (error instanceof GatewayError) {
      gateway.finish(prepared, { status: error.status, promptTokens: 0, completionTokens: 0, caller, requested: parsed.data.model, endpoint: chat ? '/chat/completions' : '/completions', batchId });
      return { ok: false, result: { id: requestId, custom_id: line.custom_id, response: { status_code: error.status, request_id: requestId, body: { error: { message: error.message, type: error.type, param: error.param, code: error.code } } }, error: null } };
    }
    if (error instanceof UpstreamConfigError) return failed('model_unavailable', error.message);
    throw error; // unavailable or aborted: the job retries later, this line stays open
  }
}

async function finishFiles(db: Db, artifacts: ArtifactStore, batch: BatchRow, queue: Queue | null): Promise<void> {
  const lines = await db.select().from(inferenceBatchLines).where(eq(inferenceBatchLines.batchId, batch.id)).orderBy(asc(inferenceBatchLines.line));
  const output = lines.filter((line) => line.ok).map((line) => JSON.stringify(line.result)).join('\n');
  const errors = lines.filter((line) => !line.ok).map((line) => JSON.stringify(line.result)).join('\n');
  await db.transaction(async (tx) => {
    const outputFile = output ? await storeFile(tx, artifacts, { purpose: 'batch_output', filename: `${batch.id}_output.jsonl`, body: `${output}\n`, tokenId: batch.tokenId }) : null;
    const errorFile = errors ? await storeFile(tx, artifacts, { purpose: 'batch_output', filename: `${batch.id}_errors.jsonl`, body: `${errors}\n`, tokenId: batch.tokenId }) : null;
    const cancelled = batch.status === 'cancelling';
    const [done] = await tx
      .update(inferenceBatches)
      .set({
        status: cancelled ? 'cancelled' : 'completed',
        outputFileId: outputFile?.id ?? null,
        errorFileId: errorFile?.id ?? null,
        completed: lines.filter((line) => line.ok).length,
        failed: lines.filter((line) => !line.ok).length,
        ...(cancelled ? { cancelledAt: new Date() } : { completedAt: new Date() }),
      })
      .where(eq(inferenceBatches.id, batch.id))
      .returning();
    if (done) await emitEvent(tx, { type: 'batch.completed', subjectId: done.id, data: { batch: publicBatch(done) } }, { queue });
  });
}

export function inferenceBatchHandler(deps: HubDeps): JobHandler<'inference.batch'> {
  const gateway = createGateway(deps);
  const db = deps.database.db;
  const log = deps.log.child({ module: 'inference-batch' });
  return async ({ batchId }, job) => {
    const batch = await getBatch(db, batchId);
    if (!batch || ['completed', 'failed', 'cancelled', 'expired'].includes(batch.status)) return;
    if (batch.status === 'cancelling') return finishFiles(db, deps.artifacts, batch, deps.queue);
    const fail = async (code: string, message: string, line: number | null) => {
      await db.update(inferenceBatches).set({ status: 'failed', failedAt: new Date(), errors: [{ code, message, line }] }).where(eq(inferenceBatches.id, batchId));
    };
    const caller = await callerOf(db, batch);
    if (!caller) return fail('token_revoked', 'the token that created this batch was revoked', null);
    const [file] = await db.select().from(inferenceFiles).where(eq(inferenceFiles.id, batch.inputFileId));
    if (!file) return fail('file_missing', `input file ${batch.inputFileId} no longer exists`, null);
    let lines: BatchLine[];
    try {
      lines = parseBatchInput(await readFileText(deps.artifacts, file), batch.endpoint);
    } catch (error) {
      if (error instanceof BatchInputError) return fail('invalid_input', error.message, error.line);
      throw error;
    }
    if (batch.status === 'validating') {
      await db.update(inferenceBatches).set({ status: 'in_progress', inProgressAt: new Date(), total: lines.length }).where(and(eq(inferenceBatches.id, batchId), eq(inferenceBatches.status, 'validating')));
    }
    const done = new Set((await db.select({ line: inferenceBatchLines.line }).from(inferenceBatchLines).where(eq(inferenceBatchLines.batchId, batchId))).map((row) => row.line));
    const open = lines.map((line, index) => ({ line, index })).filter(({ index }) => !done.has(index));
    if (done.size) log.info({ batchId, done: done.size, open: open.length }, 'resuming batch: finished lines are not sent again');

    let next = 0;
    let cancelled = false;
    const worker = async () => {
      while (next < open.length && !cancelled && !job.signal.aborted) {
        const { line, index } = open[next++]!;
        const { result, ok } = await runLine(gateway, caller, batchId, line, job.signal);
        await db.transaction(async (tx) => {
          const [stored] = await tx.insert(inferenceBatchLines).values({ batchId, line: index, customId: line.custom_id, result, ok }).onConflictDoNothing().returning({ line: inferenceBatchLines.line });
          if (stored) await tx.update(inferenceBatches).set(ok ? { completed: sql`${inferenceBatches.completed} + 1` } : { failed: sql`${inferenceBatches.failed} + 1` }).where(eq(inferenceBatches.id, batchId));
        });
        if (next % 20 === 0) cancelled = (await getBatch(db, batchId))?.status === 'cancelling';
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(deps.config.INFERENCE_BATCH_CONCURRENCY, Math.max(1, open.length)) }, worker));
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) log.warn({ batchId, err: error.message }, 'model server unavailable: the batch job retries later with the open lines');
      throw error;
    } finally {
      await gateway.close();
    }
    const current = (await getBatch(db, batchId))!;
    await db.update(inferenceBatches).set({ finalizingAt: new Date() }).where(eq(inferenceBatches.id, batchId));
    await finishFiles(db, deps.artifacts, current, deps.queue);
  };
}
