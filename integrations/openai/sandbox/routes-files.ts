/**
 * /v1/files of the OpenAI sandbox: upload (multipart `file` + `purpose`), list, retrieve, content,
 * delete. Fine-tuning files must be .jsonl, as OpenAI requires; their lines are checked when a job
 * validates them, as OpenAI does.
 */
import { Hono } from 'hono';
import { openaiError } from './http.ts';
import type { OpenAISandboxStore, SandboxFile } from './store.ts';

const PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];
const MAX_BYTES = 512 * 1024 * 1024;

function publicFile(file: SandboxFile) {
  const { content: _content, ...rest } = file;
  return rest;
}

export function fileRoutes(store: OpenAISandboxStore) {
  const app = new Hono();

  app.post('/files', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data')) return openaiError(c, 400, "Expected a multipart/form-data body with 'file' and 'purpose'.");
    const form = await c.req.parseBody();
    const purpose = typeof form.purpose === 'string' ? form.purpose : '';
    if (!PURPOSES.includes(purpose)) return openaiError(c, 400, `'${purpose}' is not one of ${PURPOSES.map((p) => `'${p}'`).join(', ')} - 'purpose'`, { param: 'purpose' });
    const file = form.file;
    if (!(file instanceof File)) return openaiError(c, 400, "Missing required parameter: 'file'.", { param: 'file' });
    if (file.size > MAX_BYTES) return openaiError(c, 413, 'File is larger than the 512 MB limit.', { param: 'file' });
    if (purpose === 'fine-tune' && !file.name.endsWith('.jsonl')) return openaiError(c, 400, 'Invalid file format for Fine-Tuning API. Must be .jsonl', { param: 'file', code: 'invalid_file_format' });
    const content = await file.text();
    const stored: SandboxFile = {
      id: store.newId('file-', 22),
      object: 'file',
      bytes: Buffer.byteLength(content),
      created_at: Math.floor(Date.now() / 1000),
      expires_at: null,
      filename: file.name,
      purpose,
      status: 'processed',
      status_details: null,
      content,
    };
    store.files.set(stored.id, stored);
    return c.json(publicFile(stored));
  });

  app.get('/files', (c) => {
    const purpose = c.req.query('purpose');
    const limit = Math.min(10_000, Math.max(1, Number(c.req.query('limit') ?? 10_000) || 10_000));
    // The map keeps upload order, which is created_at order with ties broken by arrival.
    let files = [...store.files.values()].filter((file) => !purpose || file.purpose === purpose);
    if (c.req.query('order') !== 'asc') files.reverse();
    const after = c.req.query('after');
    if (after) files = files.slice(files.findIndex((file) => file.id === after) + 1);
    const data = files.slice(0, limit).map(publicFile);
    return c.json({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: files.length > limit });
  });

  app.get('/files/:id', (c) => {
    const file = store.files.get(c.req.param('id'));
    return file ? c.json(publicFile(file)) : openaiError(c, 404, `No such File object: ${c.req.param('id')}`, { param: 'id' });
  });

  app.get('/files/:id/content', (c) => {
    const file = store.files.get(c.req.param('id'));
    if (!file) return openaiError(c, 404, `No such File object: ${c.req.param('id')}`, { param: 'id' });
    return c.body(file.content, 200, { 'content-type': 'application/octet-stream' });
  });

  app.delete('/files/:id', (c) => {
    const id = c.req.param('id');
    if (!store.files.delete(id)) return openaiError(c, 404, `No such File object: ${id}`, { param: 'id' });
    return c.json({ id, object: 'file', deleted: true });
  });

  return app;
}
