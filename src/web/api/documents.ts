/**
 * /api/v1/documents: documents uploaded for the compliance scan. `POST /` takes multipart/form-data
 * (`file`, optional `direction`) or the raw bytes with `?filename=…&direction=…`; the text is
 * extracted at once (the answer says whether it had text, no text layer, or why it was skipped)
 * and the scan runs as a `compliance.scan-document` job. `GET /:id` shows a document and its alerts.
 */
import { bodyLimit } from 'hono/body-limit';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { complianceAlerts, documents } from '../../db/schema/index.ts';
import { ingestDocument, type StoredDocument } from '../../harvest/documents/store.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, errorResponse, notFound, ok } from '../openapi.ts';
import { publicAlert } from './alerts.ts';

const Direction = z.enum(['inbound', 'outbound'], { error: 'direction must be "inbound" (received) or "outbound" (sent to customers)' });
const RawQuery = z.object({ filename: z.string().trim().min(1).max(255), direction: Direction.default('outbound'), contentType: z.string().max(255).optional() });

export function publicDocument(document: StoredDocument) {
  return {
    id: document.id,
    filename: document.filename,
    contentType: document.contentType,
    bytes: document.byteSize,
    sha256: document.sha256,
    origin: document.origin,
    conversationId: document.conversationId,
    messageId: document.messageId,
    format: document.format,
    status: document.status,
    skipped: document.skipReason ? { reason: document.skipReason, detail: document.skipDetail } : null,
    pages: document.pages.length,
    characters: document.text.length,
    createdAt: document.createdAt,
  };
}

export function documentRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const limits = { maxBytes: deps.config.DOCUMENT_MAX_BYTES, maxPages: deps.config.DOCUMENT_MAX_PAGES, maxUnpackedBytes: deps.config.DOCUMENT_MAX_UNPACKED_BYTES };
  const app = apiApp();

  app.openapi(
    apiRoute(
      'operator',
      {
        method: 'post',
        path: '/',
        tags: ['documents'],
        summary: 'Upload a document for the compliance scan (PDF, DOCX, HTML, text)',
        description: 'Multipart with `file` and optional `direction` (inbound | outbound), or the raw bytes with `?filename=…&direction=…`. The text is extracted at once; the scan runs as a job.',
        // Documented, not validated here: the handler reads either form itself.
        request: {
          body: {
            required: true,
            content: {
              'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' }, direction: { type: 'string', enum: ['inbound', 'outbound'] } } } },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
        },
        responses: { 201: { description: 'the document, stored' }, 200: { description: 'the same document was uploaded before' }, 413: errorResponse('the document is too large') },
      },
      [bodyLimit({ maxSize: limits.maxBytes + 64 * 1024, onError: (c) => c.json({ error: { code: 'payload_too_large', message: `documents are limited to ${limits.maxBytes} bytes` } }, 413) })],
    ),
    async (c) => {
      let filename: string;
      let contentType: string | null;
      let direction: 'inbound' | 'outbound';
      let bytes: Uint8Array;
      if ((c.req.header('content-type') ?? '').startsWith('multipart/form-data')) {
        const form = await c.req.parseBody();
        const file = form.file;
        if (!(file instanceof File)) throw new ApiError(400, 'invalid_request', 'multipart field "file" must be a file');
        const parsed = Direction.default('outbound').safeParse(typeof form.direction === 'string' ? form.direction : undefined);
        if (!parsed.success) throw new ApiError(400, 'invalid_request', parsed.error.issues[0]?.message ?? 'invalid direction');
        ({ name: filename } = file);
        contentType = file.type || null;
        direction = parsed.data;
        bytes = new Uint8Array(await file.arrayBuffer());
      } else {
        const query = RawQuery.safeParse(c.req.query());
        if (!query.success) throw new ApiError(400, 'invalid_request', `query ${query.error.issues[0]?.path.join('.')}: ${query.error.issues[0]?.message}`);
        ({ filename, direction } = query.data);
        contentType = query.data.contentType ?? c.req.header('content-type') ?? null;
        bytes = new Uint8Array(await c.req.arrayBuffer());
      }
      if (!bytes.byteLength) throw new ApiError(400, 'invalid_request', 'the document is empty');
      if (!filename.trim() || filename.length > 255) throw new ApiError(400, 'invalid_request', 'the file needs a name of 1 to 255 characters');
      const { document, created } = await db.transaction((tx) => ingestDocument(tx, deps.queue ?? null, { origin: 'upload', uploadedBy: c.get('actor'), direction }, { filename, contentType, bytes }, limits));
      return c.json(publicDocument(document), created ? 201 : 200);
    },
  );

  app.openapi(
    apiRoute('compliance', {
      method: 'get',
      path: '/{id}',
      tags: ['documents'],
      summary: 'A document with its extraction status and its alerts',
      request: { params: z.object({ id: z.coerce.number().int().positive({ error: 'must be a document id' }) }) },
      responses: { ...ok('the document and its alerts'), ...notFound('document') },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const [document] = await db.select().from(documents).where(eq(documents.id, id));
      if (!document) throw new ApiError(404, 'not_found', 'no such document');
      const alerts = await db.select().from(complianceAlerts).where(eq(complianceAlerts.documentId, id));
      return c.json({ ...publicDocument(document), alerts: alerts.map(publicAlert) });
    },
  );

  return app;
}
