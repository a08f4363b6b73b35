/**
 * Managing the inference API: scoped tokens, aliases and the usage report through the REST API
 * (admin token) and the CLI; a run's cost from the price table; inference tokens open nothing
 * of the admin API.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCost } from '../../src/training/cost.ts';
import { loadConfig } from '../../src/config.ts';
import { insertModel } from '../models/support.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { adminToken, sdk, serveHub, type ServedHub } from './support.ts';

describe('inference API administration', () => {
  let database: TestDatabase;
  let server: FakeModelServer;
  let hub: ServedHub;
  let admin: string;
  const api = async (method: string, path: string, body?: unknown, token = admin) => {
    const response = await fetch(`${hub.url.replace(/\/v1$/, '')}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startFakeModelServer();
    hub = await serveHub(database, null, { INFERENCE_BASE_URL: server.url, INFERENCE_PRICES: JSON.stringify({ '*': { input: 1, output: 2 } }) });
    admin = await adminToken(database.db);
  });
  afterAll(async () => {
    await hub?.close();
    await server?.close();
    await database?.drop();
  });

  it('creates a scoped token over REST, shows it once, and it opens /v1 but not /api/v1', async () => {
    const model = await insertModel(database.db, 'triage', 'production');
    const created = await api('POST', '/inference-tokens', { name: 'helpdesk', tasks: ['triage'], requests_per_minute: 100 });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^tli_/);
    expect(created.body).not.toHaveProperty('hash');
    expect((await api('GET', '/inference-tokens')).body.data.find((t: { name: string }) => t.name === 'helpdesk')).not.toHaveProperty('token');
    const answer = await sdk(hub, created.body.token).chat.completions.create({ model: 'triage@production', messages: [{ role: 'user', content: 'x' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: x');
    expect((await api('GET', '/models', undefined, created.body.token)).status).toBe(401);

    expect((await api('POST', '/inference-tokens', { name: 'nothing' })).body.error.message).toMatch(/at least one model or task/);
    expect((await api('POST', '/inference-tokens', { name: 'x', tasks: ['*'], requests_per_minute: -1 })).status).toBe(400);

    expect((await api('DELETE', `/inference-tokens/${created.body.id}`)).body).toEqual({ revoked: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5_100)); // verified tokens are remembered for 5 s
    await expect(sdk(hub, created.body.token).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    void model;
  });

  it('sets, moves and removes aliases; refuses names that clash with built-in aliases or ids', async () => {
    const [a, b] = [await insertModel(database.db, 'reply'), await insertModel(database.db, 'reply')];
    expect((await api('PUT', '/model-aliases/support-bot', { model_id: a.id })).body).toMatchObject({ name: 'support-bot', model_id: a.id });
    expect((await api('PUT', '/model-aliases/support-bot', { model_id: b.id })).body.model_id).toBe(b.id);
    expect((await api('PUT', '/model-aliases/reply@production', { model_id: a.id })).status).toBe(400);
    expect((await api('PUT', '/model-aliases/bad name', { model_id: a.id })).status).toBe(400);
    expect((await api('PUT', '/model-aliases/x', { model_id: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect((await api('GET', '/model-aliases')).body.data).toEqual([expect.objectContaining({ name: 'support-bot', model_id: b.id })]);
    expect((await api('DELETE', '/model-aliases/support-bot')).status).toBe(200);
    expect((await api('DELETE', '/model-aliases/support-bot')).status).toBe(404);
  });

  it('reports usage by model, token and day, with cost', async () => {
    const model = await insertModel(database.db, 'compliance', 'production');
    const created = await api('POST', '/inference-tokens', { name: 'usage-app', tasks: ['compliance'] });
    const client = sdk(hub, created.body.token);
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: model.id, messages: [{ role: 'user', content: 'abcd' }] });
    await hub.gateway.close();
    const byModel = await api('GET', `/usage?group_by=model&model_id=${model.id}`);
    expect(byModel.body.data).toEqual([expect.objectContaining({ key: model.id, requests: 3, errors: 0, completion_tokens: 3 * 'echo: abcd'.length })]);
    expect(byModel.body.data[0].cost_usd).toBeCloseTo((3 * 4 + 3 * 10 * 2) / 1e6, 9);
    const byToken = await api('GET', `/usage?group_by=token&token_id=${created.body.id}`);
    expect(byToken.body.data).toEqual([expect.objectContaining({ label: 'usage-app', requests: 3 })]);
    const byDay = await api('GET', '/usage?group_by=day');
    expect(byDay.body.data[0].key).toBe(new Date().toISOString().slice(0, 10));
    expect((await api('GET', '/usage?group_by=week')).status).toBe(400);
    expect((await api('GET', '/usage?from=2026-02-01&to=2026-01-01')).status).toBe(400);
  });

  it('manages tokens and aliases from the CLI', async () => {
    const env = { DATABASE_URL: database.url };
    const created = runCli(['inference', 'token', 'create', '--name', 'cli-app', '--task', 'reply', '--rpm', '30', '--budget', '20', '--refuse-over-budget'], env);
    expect(created.status).toBe(0);
    expect(created.stdout.trim()).toMatch(/^tli_[A-Za-z0-9_-]{43}$/);
    const listed = runCli(['inference', 'token', 'list', '--json'], env);
    expect(JSON.parse(listed.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'cli-app', tasks: ['reply'], requests_per_minute: 30, monthly_budget_usd: 20, budget_action: 'refuse' })]));
    const refused = runCli(['inference', 'token', 'create', '--name', 'none', '--rpm', '5'], env);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/at least one model or task/);
    const model = await insertModel(database.db, 'reply');
    expect(runCli(['inference', 'alias', 'set', 'cli-bot', model.id], env).status).toBe(0);
    expect(runCli(['inference', 'alias', 'list'], env).stdout).toContain(`cli-bot  → ${model.id}`);
    expect(runCli(['inference', 'token', 'revoke', 'cli-app'], env).stdout).toContain('revoked 1');
  }, 180_000);

  it('prices a run: local by device time, OpenAI by trained tokens, from TRAINING_PRICES', () => {
    const prices = loadConfig({ TRAINING_PRICES: JSON.stringify({ gpu_hour: 2, cpu_hour: 0.1, openai_per_1m_trained_tokens: { 'gpt-4o-mini-2024-07-18': 3 } }) }).TRAINING_PRICES;
    expect(runCost(prices, { backend: 'local', model: 'x', cost: { gpu_seconds: 1800, gpu_count: 2, cpu_seconds: 99 }, trainedTokens: 1 }).usd).toBeCloseTo(2, 9);
    expect(runCost(prices, { backend: 'local', model: 'x', cost: { gpu_seconds: null, cpu_seconds: 7200 }, trainedTokens: 1 }).usd).toBeCloseTo(0.2, 9);
    expect(runCost(prices, { backend: 'openai', model: 'gpt-4o-mini-2024-07-18', cost: null, trainedTokens: 2_000_000 }).usd).toBeCloseTo(6, 9);
    expect(runCost(prices, { backend: 'openai', model: 'davinci', cost: null, trainedTokens: 10 })).toMatchObject({ usd: null, basis: expect.stringMatching(/no price for davinci/) });
    expect(() => loadConfig({ TRAINING_PRICES: '{"gpu_hour": -1}' })).toThrow(/TRAINING_PRICES/);
  });
});
