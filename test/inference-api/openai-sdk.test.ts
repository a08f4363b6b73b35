/**
 * The inference API through the official openai SDK: chat (whole and streamed), legacy
 * completions, the model list, aliases and the A/B split, token scopes, bad input in OpenAI's
 * error shape, and usage rows. The model server is a loopback fake that answers at once.
 */
import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.ts';
import { modelAliases } from '../../src/db/schema/index.ts';
import { startAbTest } from '../../src/models/ab/ab-test.ts';
import { insertModel } from '../models/support.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { adminToken, inferenceToken, sdk, serveHub, type ServedHub } from './support.ts';

describe('inference API with the openai SDK', () => {
  let database: TestDatabase;
  let server: FakeModelServer;
  let hub: ServedHub;
  let reply: Awaited<ReturnType<typeof insertModel>>;
  let triage: Awaited<ReturnType<typeof insertModel>>;
  let replyClient: OpenAI;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startFakeModelServer({ reply: (body) => `Thanks for writing about: ${body.messages.at(-1)?.content ?? ''}` });
    hub = await serveHub(database, null, { INFERENCE_BASE_URL: server.url, INFERENCE_MAX_CONTEXT_TOKENS: '1000', INFERENCE_PRICES: JSON.stringify({ '*': { input: 1, output: 2 } }) });
    reply = await insertModel(database.db, 'reply', 'production');
    triage = await insertModel(database.db, 'triage', 'production');
    replyClient = sdk(hub, await inferenceToken(database.db, { name: 'reply-app', tasks: ['reply'] }));
  });
  afterAll(async () => {
    await hub?.close();
    await server?.close();
    await database?.drop();
  });

  it('answers a chat completion by alias, under the name the caller used, with usage', async () => {
    const answer = await replyClient.chat.completions.create({ model: 'reply@production', messages: [{ role: 'user', content: 'Where is my parcel?' }], max_tokens: 50 });
    expect(answer.model).toBe('reply@production');
    expect(answer.choices[0]?.message.content).toBe('Thanks for writing about: Where is my parcel?');
    expect(answer.usage?.completion_tokens).toBeGreaterThan(0);
    // The adapter was loaded on first use and the request went to it by its served name.
    expect(server.loads.map((load) => load.lora_name)).toContain(`tuneloop-${reply.id}`);
    expect(server.chats.at(-1)?.model).toBe(`tuneloop-${reply.id}`);
  });

  it('streams chunks in OpenAI\'s format, ending with [DONE]; usage only when asked for', async () => {
    const stream = await replyClient.chat.completions.create({ model: reply.id, messages: [{ role: 'user', content: 'hello there' }], stream: true });
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      expect(chunk.model).toBe(reply.id);
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usageChunks++;
    }
    expect(text).toBe('Thanks for writing about: hello there');
    expect(usageChunks).toBe(0);

    const withUsage = await replyClient.chat.completions.create({ model: reply.id, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 'Thanks for writing about: hi'.length } });
  });

  it('answers legacy completions', async () => {
    const answer = await replyClient.completions.create({ model: 'reply@production', prompt: 'Refund please', max_tokens: 20 });
    expect(answer.choices[0]?.text).toBe('Thanks for writing about: Refund please');
    expect(answer.model).toBe('reply@production');
  });

  it('lists only the models the token may use, with aliases', async () => {
    await database.db.insert(modelAliases).values({ name: 'support-bot', modelId: reply.id, createdBy: 'test' });
    const ids = (await replyClient.models.list()).data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['reply@production', 'support-bot', reply.id]));
    expect(ids).not.toContain('triage@production');
    expect(ids).not.toContain(triage.id);
    const admin = sdk(hub, await adminToken(database.db));
    expect((await admin.models.list()).data.map((model) => model.id)).toEqual(expect.arrayContaining(['triage@production', 'reply@production']));
    expect((await replyClient.models.retrieve('support-bot')).id).toBe('support-bot');
    await expect(replyClient.models.retrieve('triage@production')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('reaches a model by an alias an operator gave it, and a token scoped to that alias', async () => {
    await database.db.insert(modelAliases).values({ name: 'tone-v2', modelId: triage.id, createdBy: 'test' }).onConflictDoNothing();
    const scoped = sdk(hub, await inferenceToken(database.db, { name: 'alias-only', models: ['tone-v2'] }));
    const answer = await scoped.chat.completions.create({ model: 'tone-v2', messages: [{ role: 'user', content: 'x' }] });
    expect(answer.model).toBe('tone-v2');
    expect(server.chats.at(-1)?.model).toBe(`tuneloop-${triage.id}`);
    // The same model by its id is not in that token's scope.
    await expect(scoped.chat.completions.create({ model: triage.id, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('splits <task>@production between the arms of a running A/B test, stable per user', async () => {
    const candidate = await insertModel(database.db, 'reply', 'candidate');
    await startAbTest(database.db, candidate.id, { share: 0.5, actor: 'test' });
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the serving state is cached for a second
    const served = new Map<string, string>();
    for (let user = 0; user < 24; user++) {
      await replyClient.chat.completions.create({ model: 'reply@production', messages: [{ role: 'user', content: 'x' }], user: `u${user}` });
      served.set(`u${user}`, server.chats.at(-1)?.model ?? '');
    }
    expect(new Set(served.values())).toEqual(new Set([`tuneloop-${reply.id}`, `tuneloop-${candidate.id}`]));
    await replyClient.chat.completions.create({ model: 'reply@production', messages: [{ role: 'user', content: 'x' }], user: 'u3' });
    expect(server.chats.at(-1)?.model).toBe(served.get('u3'));
    await replyClient.chat.completions.create({ model: 'reply@candidate', messages: [{ role: 'user', content: 'x' }] });
    expect(server.chats.at(-1)?.model).toBe(`tuneloop-${candidate.id}`);
  });

  it('refuses in OpenAI\'s error shape: no token 401, unknown model 404, other task 403, n > 1 and too long 400', async () => {
    await expect(sdk(hub, 'tli_wrong').chat.completions.create({ model: reply.id, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    // An API token without the inference role opens the REST API, not the models.
    const operator = (await createToken(database.db, 'ops', 'test', { roles: ['operator'] })).token;
    await expect(sdk(hub, operator).models.list()).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    const unknown = await replyClient.chat.completions.create({ model: 'nope@production', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown).toMatchObject({ code: 'model_not_found', param: 'model' });
    await expect(replyClient.chat.completions.create({ model: 'triage@production', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    const many = await replyClient.chat.completions.create({ model: reply.id, messages: [{ role: 'user', content: 'x' }], n: 2 }).catch((error: unknown) => error);
    expect(many).toMatchObject({ status: 400, param: 'n' });
    const long = await replyClient.chat.completions.create({ model: reply.id, messages: [{ role: 'user', content: 'word '.repeat(1000) }] }).catch((error: unknown) => error);
    expect(long).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    const bad = await replyClient.chat.completions.create({ model: reply.id, messages: [{ role: 'robot', content: 'x' }] as never }).catch((error: unknown) => error);
    expect(bad).toMatchObject({ status: 400 });
    expect(String((bad as Error).message)).toMatch(/messages\.0\.role/);
  });

  it('answers malformed JSON with 400', async () => {
    const key = await inferenceToken(database.db, { name: 'raw', tasks: ['*'] });
    const response = await fetch(`${hub.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"model": ' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
  });

  it('records a usage row per request with tokens, status and cost, never the text', async () => {
    await hub.gateway.close(); // flush
    const { rows } = await database.db.execute<{ status: number; prompt_tokens: number; completion_tokens: number; cost_usd: number; requested: string }>(
      sql`SELECT status, prompt_tokens, completion_tokens, cost_usd, requested FROM inference_usage ORDER BY id`,
    );
    expect(rows.length).toBeGreaterThan(5);
    const ok = rows.find((row) => row.status === 200 && row.requested === 'reply@production');
    expect(ok).toBeDefined();
    expect(Number(ok?.completion_tokens)).toBeGreaterThan(0);
    expect(Number(ok?.cost_usd)).toBeCloseTo((Number(ok?.prompt_tokens) * 1 + Number(ok?.completion_tokens) * 2) / 1e6, 9);
    expect(rows.some((row) => row.status === 403)).toBe(true);
    expect(rows.some((row) => row.status === 404)).toBe(true);
    const columns = await database.db.execute<{ column_name: string }>(sql`SELECT column_name FROM information_schema.columns WHERE table_name = 'inference_usage'`);
    expect(columns.rows.map((row) => row.column_name)).not.toContain('body');
  });
});
