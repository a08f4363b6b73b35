/**
 * /api/v1/datasets: create, list and show datasets; build versions (202 + a `dataset.build` job),
 * list and show them with their manifests, download a split as JSONL, diff two versions, and
 * upload curated examples (JSONL or CSV) as a new version.
 */
import { Readable } from 'node:stream';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { diffVersions } from '../../datasets/diff.ts';
import { ExportError, openSplit } from '../../datasets/export.ts';
import type { Manifest } from '../../datasets/manifest.ts';
import { SPLITS } from '../../datasets/types.ts';
import { UploadValidationError, type UploadFormat } from '../../datasets/upload/parse.ts';
import { uploadVersion } from '../../datasets/upload/version.ts';
import { createDataset, createVersion, DatasetInputError, findDataset, findVersion, listDatasets, listVersions, NewDataset, type DatasetRow, type VersionRow } from '../../datasets/versions.ts';
import { ApiError, errorBody } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound, unavailable, errorResponse } from '../openapi.ts';

/** Uploads are read whole (every row is validated before anything is written). */
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

export function publicDataset(row: DatasetRow) {
  return { id: row.id, name: row.name, task: row.task, config: row.config, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

export function publicVersion(row: VersionRow, options: { manifest?: boolean } = {}) {
  const manifest = row.manifest as unknown as Manifest | null;
  return {
    id: row.id,
    datasetId: row.datasetId,
    version: row.version,
    origin: row.origin,
    status: row.status,
    contentHash: row.contentHash,
    examples: manifest ? Object.fromEntries(SPLITS.map((s) => [s, manifest.splits?.[s]?.examples ?? 0])) : null,
    progress: row.progress,
    error: row.error,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    builtAt: row.builtAt,
    parentVersionId: row.parentVersionId,
    supersededBy: row.supersededBy,
    erasedAt: row.erasedAt,
    ...(options.manifest ? { manifest } : {}),
  };
}

const versionParams = z.object({ id: z.string().min(1), v: z.string().regex(/^(\d{1,9}|[0-9a-f-]{36})$/i, 'must be a version number or id') });

export function datasetRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const store = deps.artifacts;
  const app = apiApp();

  const load = async (ref: string) => {
    const dataset = await findDataset(db, ref);
    if (!dataset) throw new ApiError(404, 'not_found', `no dataset "${ref}"`);
    return dataset;
  };
  const loadVersion = async (ref: string, v: string) => {
    const dataset = await load(ref);
    const version = await findVersion(db, dataset.id, v);
    if (!version) throw new ApiError(404, 'not_found', `dataset "${dataset.name}" has no version ${v}`);
    return { dataset, version };
  };

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/',
      tags: ['datasets'],
      summary: 'List datasets',
      responses: { 200: { description: 'the datasets' } },
    }),
    async (c) => c.json({ data: (await listDatasets(db)).map(publicDataset) }),
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/',
      tags: ['datasets'],
      summary: 'Create a dataset (a named recipe over connections)',
      request: { body: jsonBody(NewDataset) },
      responses: { 201: { description: 'the dataset' } },
    }),
    async (c) => {
      try {
        const row = await createDataset(db, c.req.valid('json'), c.get('actor'));
        return c.json(publicDataset(row), 201);
      } catch (error) {
        if (error instanceof DatasetInputError) throw new ApiError(400, 'invalid_request', error.message);
        throw error;
      }
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}',
      tags: ['datasets'],
      summary: 'Show a dataset by id or name',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the dataset' }, ...notFound('dataset or version') },
    }),
    async (c) => {
      const dataset = await load(c.req.param('id'));
      return c.json({ ...publicDataset(dataset), versions: (await listVersions(db, dataset.id)).map((v) => publicVersion(v)) });
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/versions',
      tags: ['datasets'],
      summary: 'Build a new version (curation runs as a job)',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 202: { description: 'the version being built' }, ...notFound('dataset or version'), ...unavailable },
    }),
    async (c) => {
      const dataset = await load(c.req.param('id'));
      if (!deps.queue) throw new ApiError(503, 'unavailable', 'the job queue is not running');
      const version = await createVersion(db, dataset.id, 'build', { queue: deps.queue });
      return c.json(publicVersion(version), 202);
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}/versions',
      tags: ['datasets'],
      summary: "List a dataset's versions",
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the versions, newest first' }, ...notFound('dataset or version') },
    }),
    async (c) => {
      const dataset = await load(c.req.param('id'));
      return c.json({ data: (await listVersions(db, dataset.id)).map((v) => publicVersion(v)) });
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}/versions/{v}',
      tags: ['datasets'],
      summary: 'Show a version with its manifest',
      request: { params: versionParams },
      responses: { 200: { description: 'the version' }, ...notFound('dataset or version') },
    }),
    async (c) => {
      const { id, v } = c.req.valid('param');
      const { version } = await loadVersion(id, v);
      return c.json(publicVersion(version, { manifest: true }));
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}/versions/{v}/diff/{other}',
      tags: ['datasets'],
      summary: 'Compare two versions',
      request: { params: versionParams.extend({ other: versionParams.shape.v }) },
      responses: { 200: { description: 'what changed between them' }, ...notFound('dataset or version') },
    }),
    async (c) => {
      const { id, v, other } = c.req.valid('param');
      const { dataset, version } = await loadVersion(id, v);
      const against = await findVersion(db, dataset.id, other);
      if (!against) throw new ApiError(404, 'not_found', `dataset "${dataset.name}" has no version ${other}`);
      return c.json(await diffVersions(db, version, against));
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'get',
      path: '/{id}/versions/{v}/files/{split}',
      tags: ['datasets'],
      summary: "Download a version's split as JSONL (OpenAI chat format)",
      request: { params: versionParams.extend({ split: z.enum(SPLITS) }) },
      responses: { 200: { description: 'the JSONL file' }, ...notFound('dataset or version'), 409: errorResponse('conflicts with the current state; nothing changed'), 410: errorResponse('the data was erased') },
    }),
    async (c) => {
      const { id, v, split } = c.req.valid('param');
      const { dataset, version } = await loadVersion(id, v);
      try {
        const { stream, file } = await openSplit(store, version, split);
        c.header('Content-Type', 'application/jsonl; charset=utf-8');
        c.header('Content-Length', String(file.bytes));
        c.header('Content-Disposition', `attachment; filename="${dataset.name}-v${version.version}-${split}.jsonl"`);
        c.header('ETag', `"${file.sha256}"`);
        return c.body(Readable.toWeb(stream) as ReadableStream);
      } catch (error) {
        if (error instanceof ExportError) throw new ApiError(error.reason === 'erased' ? 410 : error.reason === 'not_ready' ? 409 : 404, error.reason, error.message);
        throw error;
      }
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/uploads',
      tags: ['datasets'],
      summary: 'Upload examples (JSONL or CSV) as a new version',
      request: {
        params: z.object({ id: z.string().min(1).max(200) }),
        query: z.object({ format: z.enum(['jsonl', 'csv']).optional() }),
        // Documented, not validated here: the handler parses and checks every line itself.
        body: { required: true, content: { 'application/jsonl': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } } },
      },
      responses: {
        201: { description: 'the new version with its manifest' },
        ...notFound('dataset or version'),
        413: errorResponse('the upload is too large'),
      },
    }, [bodyLimit({ maxSize: MAX_UPLOAD_BYTES, onError: (c) => c.json(errorBody('too_large', `uploads are limited to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`), 413) })]),
    async (c) => {
      const dataset = await load(c.req.param('id'));
      const format: UploadFormat = c.req.valid('query').format ?? (/\bcsv\b/i.test(c.req.header('content-type') ?? '') ? 'csv' : 'jsonl');
      const content = await c.req.text();
      try {
        const version = await uploadVersion({ database: deps.database, store, log: deps.log }, dataset, format, content, c.get('actor'));
        return c.json(publicVersion(version, { manifest: true }), 201);
      } catch (error) {
        if (error instanceof UploadValidationError) {
          return c.json({ error: { code: 'invalid_upload', message: `${error.total} problem(s); nothing was stored`, problems: error.problems, total: error.total } }, 400);
        }
        throw error;
      }
    },
  );

  return app;
}
