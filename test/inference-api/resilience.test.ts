/**
 * The inference API when things go wrong or run short: a model server down (503 with Retry-After,
 * never a hang), failover to the next server, rate limits with OpenAI's headers, a caller that
 * leaves mid-stream (the model server's stream is cancelled), budgets, and the simple generate form.
 */
import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertModel } from '../models/support.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { waitFor } from '../support/wait.ts';
import { inferenceToken, sdk, serveHub, type ServedHub } from './support.ts';

describe('inference API under faults and limits', () => {
  let database: TestDatabase;
  let primary: FakeModelServer;
  let secondary: FakeModelServer;
  const hubs: ServedHub[] = [];
  let model: Awaited<ReturnType<typeof insertModel>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    primary = await startFakeModelServer({ streamDelayMs: 40, reply: () => 'one two three four five six seven eight nine ten eleven twelve' });
    secondary = await startFakeModelServer({ reply: () => 'from the second server' });
    model = await insertModel(database.db, 'reply', 'production');
  });
  afterAll(async () => {
    for (const hub of hubs) await hub.close();
    await primary?.close();
    await secondary?.close();
    await database?.drop();
  });
  const hubWith = async (env: Record<string, string>) => {
    const hub = await serveHub(database, null, env);
    hubs.push(hub);
    return hub;
  };

  it('answers 503 with Retry-After at once when no model server answers, and fails over to the next one', async () => {
    const down = 'http://127.0.0.1:9/v1';
    const lonely = await hubWith({ INFERENCE_BASE_URL: down, INFERENCE_TIMEOUT_MS: '2000' });
    const key = await inferenceToken(database.db, { name: 'fail', tasks: ['reply'] });
    const started = Date.now();
    const response = await fetch(`${lonely.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: model.id, messages: [{ role: 'user', content: 'x' }] }) });
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ error: { type: 'server_error', code: 'model_unavailable' } });
    expect(Date.now() - started).toBeLessThan(5_000);

    const failover = await hubWith({ INFERENCE_BASE_URLS: `${down},${secondary.url}` });
    const answer = await sdk(failover, key).chat.completions.create({ model: model.id, messages: [{ role: 'user', content: 'x' }] });
    expect(answer.choices[0]?.message.content).toBe('from the second server');
  });

  it('limits requests per minute with 429, Retry-After and x-ratelimit-* headers', async () => {
    const hub = await hubWith({ INFERENCE_BASE_URL: secondary.url });
    const key = await inferenceToken(database.db, { name: 'limited', tasks: ['reply'], requests_per_minute: 2 });
    const call = () => fetch(`${hub.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: model.id, messages: [{ role: 'user', content: 'x' }] }) });
    const first = await call();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect((await call()).status).toBe(200);
    const refused = await call();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(await refused.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
  });

  it('limits tokens per minute by the request\'s prompt and max_tokens', async () => {
    const hub = await hubWith({ INFERENCE_BASE_URL: secondary.url });
    const client = sdk(hub, await inferenceToken(database.db, { name: 'tpm', tasks: ['reply'], tokens_per_minute: 300 }));
    await client.chat.completions.create({ model: model.id, messages: [{ role: 'user', content: 'x' }], max_tokens: 100 });
    await expect(client.chat.completions.create({ model: model.id, messages: [{ role: 'user', content: 'x' }], max_tokens: 290 })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('cancels the model server\'s stream when the caller goes away', async () => {
    const hub = await hubWith({ INFERENCE_BASE_URL: primary.url });
    const key = await inferenceToken(database.db, { name: 'leaver', tasks: ['reply'] });
    const controller = new AbortController();
    const response = await fetch(`${hub.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: model.id, messages: [{ role: 'user', content: 'x' }], stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await waitFor('the upstream stream to be cancelled', () => primary.streamsCancelled() === 1, 5_000);
    await hub.gateway.close();
    const { rows } = await database.db.execute<{ status: number }>(sql`SELECT status FROM inference_usage WHERE requested = ${model.id} AND status = 499`);
    expect(rows.length).toBe(1);
  });

  it('answers the simple generate form, whole and streamed', async () => {
    const hub = await hubWith({ INFERENCE_BASE_URL: secondary.url });
    const key = await inferenceToken(database.db, { name: 'simple', tasks: ['reply'] });
    const post = (body: unknown) => fetch(`${hub.url}/fine-tuned/reply@production/generate`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const whole = await post({ prompt: 'Where is my order?', max_tokens: 50, temperature: 0.2 });
    expect(whole.status).toBe(200);
    const body = (await whole.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ generated_text: 'from the second server', model: 'reply@production', usage: { completion_tokens: 22 } });
    expect(typeof body.latency_ms).toBe('number');

    const streamed = await post({ prompt: 'Where is my order?', stream: true });
    expect(streamed.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = (await streamed.text()).split('\n\n').filter(Boolean).map((block) => block.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const parsed = events.slice(0, -1).map((event) => JSON.parse(event) as Record<string, unknown>);
    expect(parsed.filter((event) => 'token' in event).map((event) => event.token).join('')).toBe('from the second server');
    expect(parsed.at(-1)).toMatchObject({ generated_text: 'from the second server', model: 'reply@production' });

    expect((await post({ prompt: '' })).status).toBe(400);
    expect((await post({ prompt: 'x', max_tokens: -1 })).status).toBe(400);
  });

  it('keeps no text of a request by default, and only scrubbed copies with INFERENCE_KEEP_SCRUBBED_BODIES', async () => {
    const content = 'I am Jane Doe, mail me at jane.doe@example.com or call +49 30 1234567.';
    const send = async (hub: ServedHub, name: string) => {
      await sdk(hub, await inferenceToken(database.db, { name, tasks: ['reply'] })).chat.completions.create({ model: model.id, messages: [{ role: 'user', content }] });
      await hub.gateway.close();
      const { rows } = await database.db.execute<{ sample: { prompt: Array<{ content: string }>; answer: string } | null }>(
        sql`SELECT u.sample FROM inference_usage u JOIN inference_tokens t ON t.id = u.token_id WHERE t.name = ${name}`,
      );
      return rows[0]?.sample;
    };
    expect(await send(await hubWith({ INFERENCE_BASE_URL: secondary.url }), 'no-bodies')).toBeNull();
    const kept = await send(await hubWith({ INFERENCE_BASE_URL: secondary.url, INFERENCE_KEEP_SCRUBBED_BODIES: 'true' }), 'scrubbed-bodies');
    expect(kept?.answer).toBe('from the second server');
    const prompt = kept?.prompt[0]?.content ?? '';
    expect(prompt).toContain('mail me at');
    for (const secret of ['jane.doe@example.com', '1234567', 'Jane Doe']) expect(prompt).not.toContain(secret);
  });

  it('refuses a token past its monthly budget when set to refuse, and warns once at 80 %', async () => {
    const hub = await hubWith({ INFERENCE_BASE_URL: secondary.url, INFERENCE_PRICES: JSON.stringify({ '*': { input: 100_000, output: 100_000 } }) });
    const client = sdk(hub, await inferenceToken(database.db, { name: 'budget', tasks: ['reply'], monthly_budget_usd: 5, budget_action: 'refuse' }));
    // 1 + 22 tokens at $0.1 each: a request costs $2.30; the second crosses 80 % of $5, the third passes $5, the fourth is refused.
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: model.id, messages: [{ role: 'user', content: 'x' }] });
    const refused = await client.chat.completions.create({ model: model.id, messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 429, code: 'insufficient_quota' });
    await waitFor('the 80 % warning', async () => Number((await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM inference_tokens WHERE name = 'budget' AND budget_warned_month IS NOT NULL`)).rows[0]?.n) === 1, 5_000);
  });
});
