import type { Readable } from 'node:stream';
import type { VendorLogger } from './connector.ts';
import type { SandboxLauncher } from './sandbox.ts';

/** The provider refused what we asked (bad model, bad file, bad hyperparameters): retrying cannot help. */
export class ProviderRequestError extends Error {
  override name = 'ProviderRequestError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly param: string | null,
  ) {
    super(message);
  }
}

/*
 * Managed fine-tuning at a provider (OpenAI): upload files, create a job tagged with the hub's job
 * id (so a retried create finds the job instead of making a second one), and follow its status,
 * events and checkpoints.
 */
export interface ManagedJob {
  id: string;
  status: string;
  fineTunedModel: string | null;
  trainedTokens: number | null;
  error: { code: string; message: string; param: string | null } | null;
  estimatedFinish: Date | null;
}

export interface ManagedEvent {
  id: string;
  createdAt: Date;
  level: 'info' | 'warn' | 'error';
  message: string;
  type: string;
  data: Record<string, unknown>;
}

export interface ManagedCheckpoint {
  id: string;
  step: number;
  modelName: string;
  metrics: Record<string, number | null>;
}

export interface CreateManagedJob {
  model: string;
  trainingFile: string;
  validationFile: string | null;
  method: { type: 'supervised'; supervised: { hyperparameters: Record<string, number | 'auto'> } } | { type: 'dpo'; dpo: { hyperparameters: Record<string, number | 'auto'> } };
  suffix: string | null;
  seed: number;
  /** The hub's job id; stored in the provider job's metadata. */
  tag: string;
  metadata: Record<string, string> | null;
}

export interface ManagedFineTuning {
  readonly provider: 'openai';
  uploadFile(filename: string, content: Readable | Uint8Array): Promise<string>;
  /** Deletes an uploaded file (GDPR erasure); 'gone' when the provider no longer has it. */
  deleteFile(id: string): Promise<'deleted' | 'gone'>;
  findJob(tag: string): Promise<ManagedJob | null>;
  createJob(input: CreateManagedJob): Promise<ManagedJob>;
  getJob(id: string): Promise<ManagedJob>;
  cancelJob(id: string): Promise<ManagedJob>;
  /** Events after `lastSeenId`, oldest first; at most `maxPages` pages of 100 per call. */
  newEvents(id: string, lastSeenId: string | null, maxPages?: number): Promise<ManagedEvent[]>;
  checkpoints(id: string): Promise<ManagedCheckpoint[]>;
}


/** How the hub reaches a fine-tuning provider's API. */
export interface ProviderSettings {
  apiKey: string;
  /** e.g. http://127.0.0.1:4020/v1 for the sandbox; unset: the provider's own endpoint. */
  baseURL?: string;
  /** Retries of one call after 429/5xx. */
  maxRetries?: number;
  timeoutMs?: number;
  log?: VendorLogger;
}

export interface FineTuningProvider {
  readonly name: 'openai';
  fineTuning(settings: ProviderSettings): ManagedFineTuning;
  /** The loopback sandbox of the provider's API, loaded only when asked for. */
  readonly sandbox: () => Promise<SandboxLauncher>;
}
