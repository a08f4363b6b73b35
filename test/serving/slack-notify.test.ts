/**
 * `slack.notify` beyond compliance alerts, against the Slack sandbox: a fine-tuning run gets ONE
 * message that is updated in place as it moves (a retried job updates, never posts twice), a
 * promotion gets its own message, and an unconfigured channel posts nothing without failing.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN } from '../../integrations/slack/sandbox/index.ts';
import { loadConfig } from '../../src/config.ts';
import { driftReports, fineTuningJobs, modelEvaluations, models, modelSwitches, slackMessages } from '../../src/db/schema/index.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import type { HubDeps } from '../../src/deps.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { progressBar } from '../../src/serving/notify/run-view.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';

const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';
const job = { id: 'job-1', signal: new AbortController().signal, retryCount: 0 };

describe('slack.notify for runs and promotions', () => {
  let database: TestDatabase;
  let queue: Queue;
  const slack = createSlackSandbox({ seed: 5, threads: 1 });
  let server: { apiUrl: string; close(): Promise<void> };
  let deps: HubDeps;

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    server = await slack.listen();
    const config = loadConfig({ DATABASE_URL: database.url, SLACK_NOTIFY_CHANNEL: CHANNEL, SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN, SLACK_API_URL: server.apiUrl });
    deps = { database, queue, log: captureLogger().log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) };
  });

  afterAll(async () => {
    await queue?.stop({ timeoutMs: 1000 });
    await server?.close();
    await database?.drop();
  });

  const notify = (payload: { kind: 'run.status' | 'model.promoted' | 'drift.detected' | 'harvest.finished'; subjectId: string }, handlerDeps = deps) => {
    const handler = HANDLERS['slack.notify']?.(handlerDeps);
    if (!handler) throw new Error('no slack.notify handler');
    return handler(payload, job);
  };
  const postedFor = (ts: string) => slack.store.posted.filter((entry) => entry.ts === ts);

  it('posts one message per run and updates it as the run moves', async () => {
    const [run] = await database.db
      .insert(fineTuningJobs)
      .values({ backend: 'local', model: 'tiny-base', method: 'lora', hyperparameters: {}, seed: 1, task: 'reply', createdBy: 'test', status: 'running', progress: { step: 5, totalSteps: 20, loss: 2.5, etaSeconds: 90 } })
      .returning();
    if (!run) throw new Error('no run');
    await notify({ kind: 'run.status', subjectId: run.id });
    const [stored] = await database.db.select().from(slackMessages).where(eq(slackMessages.subjectId, run.id));
    expect(stored?.channel).toBe(CHANNEL);
    const first = postedFor(stored?.ts ?? '');
    expect(first.map((entry) => entry.method)).toEqual(['chat.postMessage']);
    expect(JSON.stringify(first[0]?.blocks)).toContain('step 5/20');
    expect(JSON.stringify(first[0]?.blocks)).toContain(progressBar(0.25).replace(/ .*/, ''));

    await database.db.update(fineTuningJobs).set({ status: 'succeeded', progress: { step: 20, totalSteps: 20, loss: 1.2, bestEvalLoss: 1.1 } }).where(eq(fineTuningJobs.id, run.id));
    await notify({ kind: 'run.status', subjectId: run.id });
    await notify({ kind: 'run.status', subjectId: run.id }); // a retry: updates again, never posts
    const all = postedFor(stored?.ts ?? '');
    expect(all.map((entry) => entry.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.update']);
    expect(all.at(-1)?.text).toContain('succeeded');
    expect(JSON.stringify(all.at(-1)?.blocks)).toContain('best validation loss 1.1');
  });

  it("shows the candidate's evaluation and the gate's answer on the run's message: the ask to promote", async () => {
    const [run] = await database.db.insert(fineTuningJobs).values({ backend: 'local', model: 'tiny-base', method: 'lora', hyperparameters: {}, seed: 1, task: 'compliance', createdBy: 'test', status: 'succeeded', progress: { step: 4, totalSteps: 4 } }).returning();
    const [model] = await database.db.insert(models).values({ task: 'compliance', backend: 'local', baseModel: 'tiny-base', adapterPath: '/x/a', fineTuningJobId: run?.id }).returning();
    const report = { task: 'compliance', testFile: 'k', candidate: { modelId: model?.id, recall: 0.9, precision: 0.8 }, baseline: { modelId: null, label: 'base', recall: 0.5, precision: 0.6 } };
    await database.db.insert(modelEvaluations).values({ modelId: model?.id ?? '', status: 'succeeded', baselineLabel: 'base', report });
    await notify({ kind: 'run.status', subjectId: run?.id ?? '' });
    const [stored] = await database.db.select().from(slackMessages).where(eq(slackMessages.subjectId, run?.id ?? ''));
    const text = JSON.stringify(postedFor(stored?.ts ?? '').at(-1)?.blocks);
    expect(text).toContain('the gate passes against its base model');
    expect(text).toContain(`tuneloop models promote ${model?.id}`);
    expect(text).toContain('✓ recall 0.9 vs 0.5');
  });

  it('announces a promotion', async () => {
    const [model] = await database.db.insert(models).values({ task: 'triage', backend: 'local', baseModel: 'tiny-base', adapterPath: '/x/adapter', status: 'production', metrics: { macro_f1: 0.8123 } }).returning();
    if (!model) throw new Error('no model');
    const [previous] = await database.db.insert(models).values({ task: 'triage', backend: 'local', baseModel: 'tiny-base', adapterPath: '/x/old', status: 'archived' }).returning();
    await database.db.insert(modelSwitches).values({ task: 'triage', fromModelId: previous?.id, toModelId: model.id, kind: 'promote', actor: 'test' });
    const before = slack.store.posted.length;
    await notify({ kind: 'model.promoted', subjectId: model.id });
    const message = slack.store.posted.slice(before);
    expect(message).toHaveLength(1);
    expect(message[0]?.text).toContain(`Model ${model.id} promoted`);
    expect(JSON.stringify(message[0]?.blocks)).toContain('macro-F1 0.8123');
    expect(JSON.stringify(message[0]?.blocks)).toContain(`replaces \`${previous?.id}\``);
  });

  it('reports drift with its reasons', async () => {
    const [report] = await database.db.insert(driftReports).values({ task: 'reply', metrics: { reasons: ['language mix moved (JS distance 0.69)'] }, drifted: true, score: 5.45 }).returning();
    const before = slack.store.posted.length;
    await notify({ kind: 'drift.detected', subjectId: report?.id ?? '' });
    const [message] = slack.store.posted.slice(before);
    expect(message?.text).toContain('Drift on reply: language mix moved');
    expect(JSON.stringify(message?.blocks)).toContain('score 5.45');
  });

  it('posts nothing and does not fail when no channel is configured or the subject is gone', async () => {
    const before = slack.store.posted.length;
    const unconfigured = { ...deps, config: loadConfig({ DATABASE_URL: database.url }) };
    await notify({ kind: 'run.status', subjectId: '00000000-0000-4000-8000-000000000000' }, unconfigured);
    await notify({ kind: 'run.status', subjectId: '00000000-0000-4000-8000-000000000000' });
    await notify({ kind: 'harvest.finished', subjectId: 'h1' });
    expect(slack.store.posted.length).toBe(before);
  });
});
