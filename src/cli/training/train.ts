/**
 * `tuneloop train start|list|show|follow|events|cancel|upload`.
 * Jobs go to the queue; a running hub (`tuneloop start`) or worker (`tuneloop worker --queues
 * finetune.train`) trains them, and `start` follows with a progress bar from the stored events.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { openArtifactStore } from '../../artifacts/index.ts';
import type { Config } from '../../config.ts';
import type { Database } from '../../db/client.ts';
import type { TrainingBackend } from '../../db/schema/index.ts';
import { startQueue } from '../../queue/queue.ts';
import { FileInputError, uploadTrainingFile } from '../../training/files/files.ts';
import { cancelJob, createJob, getJob, JobInputError, listJobs, NewFineTuningJob, type FineTuningJob } from '../../training/jobs.ts';
import { modelForJob } from '../../training/outcomes.ts';
import { publicJob } from '../../training/present.ts';
import { fail, quietLogger, withDatabase } from '../context.ts';
import { followWithBar, printEvents } from './train-follow.ts';

interface StartOptions {
  model: string;
  file?: string;
  validationFile?: string;
  trainingFileId?: string;
  validationFileId?: string;
  datasetVersion?: string;
  method?: string;
  hp: Record<string, unknown>;
  suffix?: string;
  seed?: string;
  backend?: string;
  metadata: Record<string, string>;
  task?: string;
  detach?: boolean;
}

/** `key=value`; values are JSON when they parse (numbers, booleans, lists), text otherwise; dots nest (lora.r=8). */
function collectHyperparameter(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const index = value.indexOf('=');
  if (index < 1) fail(`--hp expects key=value, got "${value}"`, 2);
  const path = value.slice(0, index).split('.');
  const raw = value.slice(index + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // plain text
  }
  const out = structuredClone(previous);
  let target = out;
  for (const key of path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
  target[path.at(-1) ?? ''] = parsed;
  return out;
}

function collectMetadata(value: string, previous: Record<string, string>): Record<string, string> {
  const index = value.indexOf('=');
  if (index < 1) fail(`--metadata expects key=value, got "${value}"`, 2);
  return { ...previous, [value.slice(0, index)]: value.slice(index + 1) };
}

function summary(job: FineTuningJob): string {
  const p = job.progress;
  const steps = p.totalSteps ? ` step ${p.step ?? 0}/${p.totalSteps}` : '';
  const loss = typeof p.loss === 'number' ? ` loss ${p.loss.toFixed(4)}` : '';
  const detail = job.status === 'succeeded' ? ` → ${job.fineTunedModel}` : job.error ? ` — ${job.error.code}: ${job.error.message}` : '';
  return `${job.status}${steps}${loss} (${job.backend} ${job.method} of ${job.model})${detail}`;
}

async function uploadPath(database: Database, config: Config, path: string): Promise<string> {
  try {
    const file = await uploadTrainingFile(database.db, openArtifactStore(config), { filename: basename(path), body: createReadStream(path), maxBytes: config.TRAINING_UPLOAD_MAX_BYTES, actor: 'cli' });
    return file.id;
  } catch (error) {
    if (error instanceof FileInputError) fail(`${path}: ${error.message}`, 2);
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') fail(`${path}: no such file`, 2);
    throw error;
  }
}

/** Follows until the job ends; Ctrl-C stops following, not the job. */
async function follow(database: Database, jobId: string): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    const job = await followWithBar(database, jobId, abort.signal);
    if (!job) return;
    process.stdout.write(`${job.id}  ${summary(job)}\n`);
    if (abort.signal.aborted) process.stdout.write(`still ${job.status}; follow again with: tuneloop train follow ${job.id}\n`);
    else if (job.status !== 'succeeded') process.exitCode = 1;
  } finally {
    process.removeListener('SIGINT', stop);
  }
}

const loadJob = async (database: Database, id: string) => (await getJob(database.db, id)) ?? fail(`no fine-tuning job ${id}`);

export function registerTrainCommands(program: Command) {
  const train = program.command('train').description('fine-tune a model (local gpu-worker or OpenAI) and follow its progress');

  train
    .command('start')
    .description('queue a fine-tuning job and follow it with a progress bar')
    .requiredOption('--model <model>', 'base model: Hugging Face id or local directory (local), model name (openai)')
    .option('--file <path>', 'training JSONL to upload (OpenAI chat format, or prompt/chosen/rejected for dpo)')
    .option('--validation-file <path>', 'validation JSONL to upload (default: 10% of the training file is held out)')
    .option('--training-file-id <id>', 'an already uploaded training file')
    .option('--validation-file-id <id>', 'an already uploaded validation file')
    .option('--dataset-version <id>', 'train on a frozen dataset version instead of files')
    .option('--method <type>', 'lora | qlora | full | dpo (local), supervised | dpo (openai), classifier (a compliance policy\'s classifier: --model tuneloop-compliance-classifier --hp classifier.policy=ID); default: dpo for preference data, else lora (local) or supervised (openai)')
    .option('--hp <key=value>', 'a hyperparameter (repeatable), e.g. learning_rate=2e-4, max_steps=200, lora.r=8', collectHyperparameter, {})
    .option('--suffix <suffix>', 'added to the fine-tuned model name')
    .option('--seed <n>', 'random seed (default: random)')
    .option('--backend <backend>', 'local (default) or openai')
    .option('--metadata <key=value>', 'metadata (repeatable)', collectMetadata, {})
    .option('--task <task>', 'what the model is for (default: the dataset task, else reply)')
    .option('--detach', 'print the job id and return without following')
    .action(async (options: StartOptions) => {
      await withDatabase(async (database, config) => {
        const trainingFile = options.file ? await uploadPath(database, config, options.file) : options.trainingFileId;
        const validationFile = options.validationFile ? await uploadPath(database, config, options.validationFile) : options.validationFileId;
        const request = NewFineTuningJob.safeParse({
          model: options.model,
          training_file: trainingFile,
          validation_file: validationFile,
          dataset_version: options.datasetVersion,
          // Without --method the hub picks it from the data (dpo for preference examples), the --hp values with it.
          method: options.method ? { type: options.method, hyperparameters: options.hp } : undefined,
          hyperparameters: !options.method && Object.keys(options.hp).length ? options.hp : undefined,
          suffix: options.suffix,
          seed: options.seed === undefined ? undefined : Number(options.seed),
          backend: options.backend,
          metadata: Object.keys(options.metadata).length ? options.metadata : undefined,
          task: options.task,
        });
        if (!request.success) fail(`invalid request: ${request.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`, 2);
        const backends: TrainingBackend[] = ['local', ...(config.OPENAI_API_KEY ? (['openai'] as const) : [])];
        const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log: quietLogger(config) });
        let job: FineTuningJob;
        try {
          job = await createJob(database.db, request.data, { queue, actor: 'cli', backends, baseModels: config.TRAINING_BASE_MODELS, home: config.TUNELOOP_HOME });
        } catch (error) {
          if (error instanceof JobInputError) fail(`${error.param ? `${error.param}: ` : ''}${error.message}`, 2);
          throw error;
        } finally {
          await queue.stop({ timeoutMs: 1_000 });
        }
        process.stdout.write(`queued: fine-tuning job ${job.id}\n`);
        if (options.detach) return;
        process.stderr.write('waiting for a worker (`tuneloop start`, or `tuneloop worker --queues finetune.train`)\n');
        await follow(database, job.id);
      });
    });

  train
    .command('upload')
    .description('upload a training JSONL file (checked line by line) and print its id')
    .argument('<path>')
    .action(async (path: string) => {
      await withDatabase(async (database, config) => {
        const id = await uploadPath(database, config, path);
        process.stdout.write(`${id}\n`);
      });
    });

  train
    .command('list')
    .description('recent fine-tuning jobs')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (options: { limit: string; json?: boolean }) => {
      await withDatabase(async ({ db }, config) => {
        const { rows } = await listJobs(db, { limit: Math.min(100, Math.max(1, Number(options.limit) || 20)) });
        if (options.json) return void process.stdout.write(`${JSON.stringify(rows.map((row) => publicJob(row, { prices: config.TRAINING_PRICES })), null, 2)}\n`);
        for (const job of rows) process.stdout.write(`${job.id}  ${job.createdAt.toISOString()}  ${summary(job)}\n`);
      });
    });

  train
    .command('show')
    .description('one fine-tuning job as JSON')
    .argument('<id>')
    .action(async (id: string) => {
      await withDatabase(async (database, config) => {
        const job = await loadJob(database, id);
        process.stdout.write(`${JSON.stringify(publicJob(job, { modelId: (await modelForJob(database.db, job.id))?.id ?? null, prices: config.TRAINING_PRICES }), null, 2)}\n`);
      });
    });

  train
    .command('follow')
    .description('a live progress bar of a job until it ends')
    .argument('<id>')
    .action(async (id: string) => {
      await withDatabase(async (database) => follow(database, (await loadJob(database, id)).id));
    });

  train
    .command('events')
    .description("a job's events (worker events, status changes, provider events)")
    .argument('<id>')
    .option('-f, --follow', 'keep printing new events until the job ends')
    .option('--json', 'one JSON object per line')
    .action(async (id: string, options: { follow?: boolean; json?: boolean }) => {
      await withDatabase(async (database) => {
        const job = await loadJob(database, id);
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        await printEvents(database, job.id, { follow: Boolean(options.follow), json: Boolean(options.json), signal: abort.signal });
      });
    });

  train
    .command('cancel')
    .description('stop a job: the worker gets SIGTERM (SIGKILL after 5 s); checkpoints stay on disk')
    .argument('<id>')
    .action(async (id: string) => {
      await withDatabase(async (database, config) => {
        const target = await loadJob(database, id);
        // The queue carries the status notification when the job is cancelled right here.
        const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log: quietLogger(config) });
        try {
          const job = await cancelJob(database.db, queue, target.id, 'cli');
          process.stdout.write(`cancel requested: ${job?.status}\n`);
        } finally {
          await queue.stop({ timeoutMs: 1_000 });
        }
      });
    });
}
