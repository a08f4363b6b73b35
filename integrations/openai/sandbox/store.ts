/**
 * The OpenAI sandbox's state: uploaded files, fine-tuning jobs and the models they create. Jobs move
 * through OpenAI's statuses on a timer (validating_files → queued → running → succeeded), writing
 * the events and checkpoints the real service writes: a `metrics` event per step with train (and,
 * with a validation file, valid) loss, a checkpoint at each of the last three epochs, and the model
 * name at the end. Shapes follow https://github.com/openai/openai-openapi (openapi.yaml) (FineTuningJob,
 * FineTuningJobEvent, FineTuningJobCheckpoint, OpenAIFile, Model).
 */

export interface SandboxFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at: number | null;
  filename: string;
  purpose: string;
  status: 'processed';
  status_details: null;
  content: string;
}

export interface SandboxEvent {
  object: 'fine_tuning.job.event';
  id: string;
  created_at: number;
  level: 'info' | 'warn' | 'error';
  message: string;
  type: 'message' | 'metrics';
  data: Record<string, unknown> | null;
}

export interface SandboxCheckpoint {
  object: 'fine_tuning.job.checkpoint';
  id: string;
  created_at: number;
  fine_tuned_model_checkpoint: string;
  step_number: number;
  metrics: Record<string, number>;
  fine_tuning_job_id: string;
}

export type Hyper = { batch_size: number | 'auto'; learning_rate_multiplier: number | 'auto'; n_epochs: number | 'auto'; beta?: number | 'auto' };

export interface SandboxJob {
  object: 'fine_tuning.job';
  id: string;
  model: string;
  created_at: number;
  finished_at: number | null;
  fine_tuned_model: string | null;
  organization_id: string;
  result_files: string[];
  status: 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  validation_file: string | null;
  training_file: string;
  hyperparameters: Hyper;
  trained_tokens: number | null;
  integrations: unknown[];
  seed: number;
  estimated_finish: number | null;
  method: { type: 'supervised' | 'dpo'; supervised?: { hyperparameters: Hyper }; dpo?: { hyperparameters: Hyper } };
  metadata: Record<string, string> | null;
  suffix: string | null;
  error: { code: string; message: string; param: string | null } | null;
}

export interface SandboxModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** Base models the sandbox fine-tunes (aliases resolve to the dated snapshot, as OpenAI's do). */
export const BASE_MODELS: Record<string, string> = {
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o-mini-2024-07-18': 'gpt-4o-mini-2024-07-18',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
  'gpt-4.1-mini-2025-04-14': 'gpt-4.1-mini-2025-04-14',
  'gpt-4.1-nano': 'gpt-4.1-nano-2025-04-14',
  'gpt-4.1-nano-2025-04-14': 'gpt-4.1-nano-2025-04-14',
  'gpt-3.5-turbo': 'gpt-3.5-turbo-0125',
  'gpt-3.5-turbo-0125': 'gpt-3.5-turbo-0125',
};

export const ORGANIZATION = 'org-tuneloop-sandbox';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const now = () => Math.floor(Date.now() / 1000);

export class OpenAISandboxStore {
  readonly files = new Map<string, SandboxFile>();
  readonly jobs = new Map<string, SandboxJob>();
  readonly events = new Map<string, SandboxEvent[]>();
  readonly checkpoints = new Map<string, SandboxCheckpoint[]>();
  readonly models = new Map<string, SandboxModel>();
  /** Makes the next job fail at validation with this error (one shot). */
  failNextJob: { code: string; message: string } | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private state: number;

  constructor(
    seed: number,
    private readonly stepMs: number,
    private readonly maxSteps: number,
  ) {
    this.state = seed >>> 0 || 1;
    for (const id of new Set(Object.values(BASE_MODELS))) this.models.set(id, { id, object: 'model', created: 1_721_172_741, owned_by: 'system' });
  }

  /** Seeded mulberry32: the same seed gives the same ids and loss curves. */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  newId(prefix: string, length = 24): string {
    let id = '';
    for (let i = 0; i < length; i++) id += ALPHABET[Math.floor(this.random() * ALPHABET.length)];
    return `${prefix}${id}`;
  }

  addEvent(jobId: string, message: string, options: { level?: SandboxEvent['level']; type?: SandboxEvent['type']; data?: Record<string, unknown> } = {}): void {
    const list = this.events.get(jobId) ?? [];
    list.push({ object: 'fine_tuning.job.event', id: this.newId('ftevent-'), created_at: now(), level: options.level ?? 'info', message, type: options.type ?? 'message', data: options.data ?? null });
    this.events.set(jobId, list);
  }

  createJob(job: SandboxJob): SandboxJob {
    this.jobs.set(job.id, job);
    this.addEvent(job.id, `Validating training file: ${job.training_file}${job.validation_file ? ` and validation file: ${job.validation_file}` : ''}`);
    this.schedule(job.id, () => this.validate(job));
    return job;
  }

  cancel(job: SandboxJob): SandboxJob {
    if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') return job;
    job.status = 'cancelled';
    job.finished_at = now();
    job.estimated_finish = null;
    this.addEvent(job.id, 'Fine-tuning job cancelled');
    return job;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(jobId: string, step: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.jobs.get(jobId)?.status === 'cancelled') return;
      step();
    }, this.stepMs);
    this.timers.add(timer);
  }

  private fail(job: SandboxJob, error: { code: string; message: string; param: string | null }): void {
    job.status = 'failed';
    job.error = error;
    job.finished_at = now();
    this.addEvent(job.id, `Fine-tuning job failed: ${error.message}`, { level: 'error' });
  }

  /** Examples of a JSONL file in chat (messages) or preference format, or why it is not one. */
  private examples(fileId: string, method: 'supervised' | 'dpo'): number | string {
    const file = this.files.get(fileId);
    if (!file) return `file ${fileId} does not exist`;
    let count = 0;
    for (const [index, line] of file.content.split('\n').entries()) {
      if (!line.trim()) continue;
      try {
        const row = JSON.parse(line) as Record<string, unknown>;
        const ok = method === 'dpo' ? ('input' in row && 'preferred_output' in row) || ('prompt' in row && 'chosen' in row) : Array.isArray(row.messages);
        if (!ok) return `line ${index + 1}: expected ${method === 'dpo' ? 'a preference example' : "a 'messages' list"}`;
      } catch {
        return `line ${index + 1} is not valid JSON`;
      }
      count++;
    }
    return count < 10 ? `Training file has ${count} example(s), but must have at least 10 examples` : count;
  }

  private validate(job: SandboxJob): void {
    const method = job.method.type;
    const examples = this.examples(job.training_file, method);
    const forced = this.failNextJob;
    this.failNextJob = null;
    if (forced) return this.fail(job, { ...forced, param: null });
    if (typeof examples === 'string') return this.fail(job, { code: 'invalid_training_file', message: `The job failed due to an invalid training file. ${examples}`, param: 'training_file' });
    const hyper = (method === 'dpo' ? job.method.dpo?.hyperparameters : job.method.supervised?.hyperparameters) ?? job.hyperparameters;
    // "auto" resolves to concrete values once the files are read, as OpenAI reports them.
    const resolved: Hyper = {
      n_epochs: hyper.n_epochs === 'auto' ? 3 : hyper.n_epochs,
      batch_size: hyper.batch_size === 'auto' ? 1 : hyper.batch_size,
      learning_rate_multiplier: hyper.learning_rate_multiplier === 'auto' ? 1.8 : hyper.learning_rate_multiplier,
      ...(method === 'dpo' ? { beta: hyper.beta === 'auto' || hyper.beta === undefined ? 0.1 : hyper.beta } : {}),
    };
    job.hyperparameters = resolved;
    if (method === 'dpo') job.method = { type: 'dpo', dpo: { hyperparameters: resolved } };
    else job.method = { type: 'supervised', supervised: { hyperparameters: resolved } };
    job.status = 'queued';
    this.addEvent(job.id, 'Files validated, moving job to queued state');
    const perEpoch = Math.max(1, Math.ceil(examples / Number(resolved.batch_size)));
    const epochs = Number(resolved.n_epochs);
    const total = Math.min(this.maxSteps, perEpoch * epochs);
    const tokens = Math.ceil((this.files.get(job.training_file)?.bytes ?? 0) / 4) * epochs;
    this.schedule(job.id, () => this.start(job, total, Math.max(1, Math.floor(total / epochs)), tokens));
  }

  private start(job: SandboxJob, total: number, perEpoch: number, tokens: number): void {
    job.status = 'running';
    job.estimated_finish = now() + Math.ceil(((total + 1) * this.stepMs) / 1000);
    this.addEvent(job.id, 'Fine-tuning job started');
    this.schedule(job.id, () => this.step(job, 1, total, perEpoch, tokens));
  }

  private step(job: SandboxJob, step: number, total: number, perEpoch: number, tokens: number): void {
    const progress = step / total;
    const trainLoss = Number((2.4 * Math.exp(-2.2 * progress) + 0.25 + this.random() * 0.15).toFixed(4));
    const metrics: Record<string, number> = { step, train_loss: trainLoss, train_mean_token_accuracy: Number(Math.min(0.99, 0.45 + 0.5 * progress).toFixed(3)), total_steps: total };
    if (job.validation_file) {
      metrics.valid_loss = Number((trainLoss + 0.08 + this.random() * 0.1).toFixed(4));
      metrics.valid_mean_token_accuracy = Number(Math.min(0.99, 0.4 + 0.5 * progress).toFixed(3));
    }
    this.addEvent(job.id, `Step ${step}/${total}: training loss=${trainLoss}${metrics.valid_loss ? `, validation loss=${metrics.valid_loss}` : ''}`, { type: 'metrics', data: metrics });
    const epochsLeft = Math.ceil((total - step) / perEpoch);
    if ((step % perEpoch === 0 || step === total) && epochsLeft < 3) {
      const name = `${this.modelName(job)}:ckpt-step-${step}`;
      const list = this.checkpoints.get(job.id) ?? [];
      const full: Record<string, number> = job.validation_file ? { full_valid_loss: metrics.valid_loss ?? 0, full_valid_mean_token_accuracy: metrics.valid_mean_token_accuracy ?? 0 } : {};
      list.push({ object: 'fine_tuning.job.checkpoint', id: this.newId('ftckpt_'), created_at: now(), fine_tuned_model_checkpoint: name, step_number: step, metrics: { ...metrics, ...full }, fine_tuning_job_id: job.id });
      this.checkpoints.set(job.id, list);
      this.addEvent(job.id, `Checkpoint created at step ${step}`, { data: { step } });
    }
    if (step < total) return this.schedule(job.id, () => this.step(job, step + 1, total, perEpoch, tokens));
    const model = this.modelName(job);
    job.fine_tuned_model = model;
    job.trained_tokens = tokens;
    job.status = 'succeeded';
    job.finished_at = now();
    job.estimated_finish = null;
    this.models.set(model, { id: model, object: 'model', created: now(), owned_by: ORGANIZATION });
    this.addEvent(job.id, `New fine-tuned model created: ${model}`);
    this.addEvent(job.id, 'The job has successfully completed');
  }

  private modelName(job: SandboxJob): string {
    return `ft:${job.model}:${ORGANIZATION}:${job.suffix ?? ''}:${job.id.slice(-8)}`;
  }
}
