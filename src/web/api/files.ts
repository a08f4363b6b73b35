/**
 * /api/v1/files: OpenAI-style uploads of fine-tuning data (purpose `fine-tune`, JSONL checked line
 * by line before anything is kept). Two ways in: multipart/form-data with `file` and `purpose`
 * (what the OpenAI SDKs send), or the raw JSONL body with `?purpose=fine-tune&filename=x.jsonl`,
 * which streams to the artifact store without holding the file in memory.
 */
import { Readable } from 'node:stream';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { deleteTrainingFile, FileInputError, getTrainingFile, listTrainingFiles, uploadTrainingFile } from '../../training/files/files.ts';
import { publicFile } from '../../training/present.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, notFound, errorResponse } from '../openapi.ts';

const Purpose = z.literal('fine-tune', { error: 'purpose must be "fine-tune" (the only purpose tuneloop stores)' });
const fileId = z.object({ id: z.uuid({ error: 'must be a file id' }) });

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const chunk of Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>)) yield chunk as Uint8Array;
}

export function fileRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const store = deps.artifacts;
  const maxBytes = deps.config.TRAINING_UPLOAD_MAX_BYTES;
  const app = apiApp();

  const upload = async (filename: string, body: ReadableStream<Uint8Array>, actor: string) => {
    try {
      return publicFile(await uploadTrainingFile(db, store, { filename, body: chunksOf(body), maxBytes, actor }));
    } catch (error) {
      if (error instanceof FileInputError) throw new ApiError(400, 'invalid_request', error.message);
      throw error;
    }
  };

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/',
      tags: ['files'],
      summary: 'Upload a training file (OpenAI Files API: multipart, purpose=fine-tune)',
      description: 'Multipart with fields `purpose` and `file`, as the OpenAI SDK sends it; or the raw JSONL as the body with `?purpose=fine-tune&filename=…`.',
      // Documented, not validated here: the handler streams the body and measures it exactly.
      request: {
        body: {
          required: true,
          content: {
            'multipart/form-data': { schema: { type: 'object', required: ['purpose', 'file'], properties: { purpose: { type: 'string', enum: ['fine-tune'] }, file: { type: 'string', contentMediaType: 'application/jsonl' } } } },
            'application/jsonl': { schema: { type: 'string' } },
          },
        },
      },
      responses: { 200: { description: 'the file' }, 413: errorResponse('the upload is too large') },
    }, [
      // Multipart adds a little around the file; the JSONL itself is measured exactly while it streams.
      bodyLimit({ maxSize: maxBytes + 64 * 1024, onError: (c) => c.json({ error: { code: 'payload_too_large', message: `uploads are limited to ${maxBytes} bytes` } }, 413) }),
    ]),
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      if (type.startsWith('multipart/form-data')) {
        const form = await c.req.parseBody();
        const purpose = Purpose.safeParse(form.purpose);
        if (!purpose.success) throw new ApiError(400, 'invalid_request', purpose.error.issues[0]?.message ?? 'invalid purpose');
        const file = form.file;
        if (!(file instanceof File)) throw new ApiError(400, 'invalid_request', 'multipart field "file" must be a file');
        return c.json(await upload(file.name, file.stream(), c.get('actor')));
      }
      const query = z.object({ purpose: Purpose, filename: z.string().min(1).max(255) }).safeParse(c.req.query());
      if (!query.success) throw new ApiError(400, 'invalid_request', `query ${query.error.issues[0]?.path.join('.')}: ${query.error.issues[0]?.message}`);
      if (!c.req.raw.body) throw new ApiError(400, 'invalid_request', 'the request has no body');
      return c.json(await upload(query.data.filename, c.req.raw.body, c.get('actor')));
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/',
      tags: ['files'],
      summary: 'List training files (OpenAI Files API)',
      request: { query: z.object({ purpose: z.string().optional(), after: z.string().optional(), limit: z.coerce.number().int().min(1).max(10_000).default(100) }) },
      responses: { 200: { description: 'the files' } },
    }),
    async (c) => {
      const query = c.req.valid('query');
      if (query.purpose && query.purpose !== 'fine-tune') return c.json({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
      try {
        const { rows, hasMore } = await listTrainingFiles(db, query);
        return c.json({ object: 'list', data: rows.map(publicFile), first_id: rows[0]?.id ?? null, last_id: rows.at(-1)?.id ?? null, has_more: hasMore });
      } catch (error) {
        if (error instanceof FileInputError) throw new ApiError(400, 'invalid_request', error.message);
        throw error;
      }
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}',
      tags: ['files'],
      summary: 'Show a training file',
      request: { params: fileId },
      responses: { 200: { description: 'the file' }, ...notFound('file') },
    }),
    async (c) => {
      const file = await getTrainingFile(db, c.req.valid('param').id);
      if (!file) throw new ApiError(404, 'not_found', 'no such file');
      return c.json(publicFile(file));
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'get',
      path: '/{id}/content',
      tags: ['files'],
      summary: "Download a training file's content",
      request: { params: fileId },
      responses: { 200: { description: 'the JSONL content' }, ...notFound('file') },
    }),
    async (c) => {
      const file = await getTrainingFile(db, c.req.valid('param').id);
      const content = file ? await store.get(file.storageKey) : null;
      if (!file || !content) throw new ApiError(404, 'not_found', 'no such file');
      return new Response(Readable.toWeb(content) as ReadableStream, { headers: { 'content-type': 'application/jsonl', 'content-length': String(file.bytes) } });
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'delete',
      path: '/{id}',
      tags: ['files'],
      summary: 'Delete a training file',
      request: { params: fileId },
      responses: { 200: { description: 'the deletion' }, ...notFound('file'), 409: errorResponse('conflicts with the current state; nothing changed') },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      try {
        if (!(await deleteTrainingFile(db, store, id))) throw new ApiError(404, 'not_found', 'no such file');
      } catch (error) {
        if (error instanceof FileInputError) throw new ApiError(409, 'conflict', error.message);
        throw error;
      }
      return c.json({ id, object: 'file', deleted: true });
    },
  );

  return app;
}
