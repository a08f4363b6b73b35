/**
 * How fast the Slack app acknowledges a command while a fine-tuning run trains in the same hub:
 * `/tuneloop status` and `runs` sent by the Slack sandbox over HTTP (signed, as Slack sends them),
 * latency measured by the sandbox from sending to the acknowledgement, first with the hub idle
 * (the baseline, same run), then while the gpu-worker trains the tiny model on the CPU. Slack's
 * limit is 3 s; the goal is a p95 well under it. BENCH_COMMANDS=… changes the number per phase.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { listenOnLoopback } from '../integrations/sandbox-kit/server.ts';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET } from '../integrations/slack/sandbox/index.ts';
import { createApp } from '../src/app.ts';
import { openArtifactStore } from '../src/artifacts/index.ts';
import { loadConfig } from '../src/config.ts';
import { connectDatabase } from '../src/db/client.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { fineTuningJobs } from '../src/db/schema/index.ts';
import { registerHandlers } from '../src/jobs/handlers.ts';
import { createLogger } from '../src/log.ts';
import { startQueue } from '../src/queue/queue.ts';
import { createKeyring } from '../src/security/encryption.ts';
import { uploadTrainingFile } from '../src/training/files/files.ts';
import { benchDatabase } from './database.ts';

const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 60);
const WORKER_DIR = fileURLToPath(new URL('../gpu-worker', import.meta.url));
const USER = 'UBENCH0001';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export async function main(): Promise<Record<string, number>> {
  const python = join(WORKER_DIR, '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    process.stdout.write('skipped: no gpu-worker/.venv (run `tuneloop worker setup`)\n');
    return {};
  }
  const scratch = await benchDatabase();
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-bench-slack-'));
  const database = connectDatabase(scratch.url);
  const log = createLogger({ LOG_LEVEL: 'error', LOG_FORMAT: 'json' });
  const slack = createSlackSandbox({ seed: 1, threads: 3 });
  const slackServer = await slack.listen();
  const queue = await (async () => {
    await applyMigrations(database);
    return startQueue({ url: scratch.url, schema: 'pgboss', log });
  })();
  try {
    const agent = [...slack.store.users.values()].find((user) => user.kind === 'agent');
    slack.store.users.set(USER, { ...agent!, id: USER, name: 'bench', realName: 'Bench' });
    const channel = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';
    slack.store.requireChannel(channel).members.add(USER);
    const config = loadConfig({ DATABASE_URL: scratch.url, TUNELOOP_HOME: home, SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN, SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET, SLACK_API_URL: slackServer.apiUrl, SLACK_GRANTS: `operator=${USER}` });
    const deps = { database, queue, log, config, keyring: createKeyring(Buffer.alloc(32, 7)), artifacts: openArtifactStore(config) };
    const hub = await listenOnLoopback(createApp(deps).fetch);
    slack.setRequestUrl(`${hub.url}/slack/events`);

    const measure = async (): Promise<number[]> => {
      const latencies: number[] = [];
      for (let i = 0; i < COMMANDS; i++) {
        const result = await slack.slashCommand({ userId: USER, channelId: channel, text: i % 2 ? 'runs' : 'status' });
        if (result.status !== 200) throw new Error(`command answered ${result.status}`);
        latencies.push(result.latencyMs);
      }
      return latencies;
    };
    await measure(); // warm-up: Bolt's first auth.test, query plans
    const idle = await measure();

    // A training run on the tiny model, long enough to outlast the measurement.
    const rows = Array.from({ length: 200 }, (_, i) => ({ messages: [{ role: 'user', content: `Where is my order number ${i}? It has not arrived yet.` }, { role: 'assistant', content: `Order ${i} left our warehouse yesterday and arrives within two days.` }] }));
    const text = rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
    writeFileSync(join(home, 'data.jsonl'), text);
    const built = spawnSync(python, ['-m', 'tuneloop_worker', 'tiny-model', '--data', join(home, 'data.jsonl'), '--out', join(home, 'model'), '--vocab-size', '400'], { cwd: WORKER_DIR, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(built.stderr);
    const file = await uploadTrainingFile(database.db, deps.artifacts, { filename: 'train.jsonl', body: (async function* () {
      yield Buffer.from(text);
    })(), maxBytes: 1e8, actor: 'bench' });
    const [job] = await database.db
      .insert(fineTuningJobs)
      .values({ backend: 'local', model: join(home, 'model'), method: 'lora', hyperparameters: { learning_rate: 0.01, max_steps: 2000, per_device_batch_size: 8, gradient_accumulation: 1, warmup_steps: 0, max_seq_length: 128, eval_every_steps: 50, log_every_steps: 1, gradient_checkpointing: false, early_stopping_patience: 0 }, seed: 1, task: 'reply', createdBy: 'bench', trainingFileId: file.id })
      .returning();
    await queue.send('finetune.train', { fineTuningJobId: job!.id }, { singletonKey: job!.id });
    await registerHandlers(deps, ['finetune.train', 'slack.notify'], 1);
    for (;;) {
      const [row] = await database.db.select({ status: fineTuningJobs.status, step: fineTuningJobs.progress }).from(fineTuningJobs).where(eq(fineTuningJobs.id, job!.id));
      if (row?.status === 'running' && (row.step.step ?? 0) > 0) break;
      if (row?.status === 'failed') throw new Error('the training run failed before the measurement');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const busy = await measure();
    const [after] = await database.db.select({ status: fineTuningJobs.status }).from(fineTuningJobs).where(eq(fineTuningJobs.id, job!.id));

    const figures = { ack_p50_ms: percentile(busy, 50), ack_p95_ms: percentile(busy, 95), idle_ack_p50_ms: percentile(idle, 50), idle_ack_p95_ms: percentile(idle, 95) };
    process.stdout.write(`${COMMANDS} commands per phase (status and runs, HTTP mode, signed)\n`);
    process.stdout.write(`${'hub idle (baseline)'.padEnd(40)} p50 ${figures.idle_ack_p50_ms.toFixed(1).padStart(7)} ms   p95 ${figures.idle_ack_p95_ms.toFixed(1).padStart(7)} ms\n`);
    process.stdout.write(`${'while training on the CPU'.padEnd(40)} p50 ${figures.ack_p50_ms.toFixed(1).padStart(7)} ms   p95 ${figures.ack_p95_ms.toFixed(1).padStart(7)} ms   (run still ${after?.status})\n`);
    process.stdout.write(`Slack's limit: 3000 ms; p95 while training / limit: ${(figures.ack_p95_ms / 3000).toFixed(3)}\n`);
    await database.db.update(fineTuningJobs).set({ cancelRequestedAt: new Date() }).where(eq(fineTuningJobs.id, job!.id));
    await hub.close();
    return figures;
  } finally {
    await queue.stop({ timeoutMs: 10_000 }).catch(() => undefined);
    await slackServer.close();
    await database.close();
    await scratch.done();
    rmSync(home, { recursive: true, force: true });
  }
}
