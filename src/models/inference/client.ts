/**
 * The hub's one way to ask a model for a completion: the `openai` SDK with a base URL, so the
 * gpu-worker's `serve`, vLLM and OpenAI itself are all reached the same way.
 *
 * - Local models (backend `local`) go to INFERENCE_BASE_URL; `openai` models to OPENAI_BASE_URL.
 * - A LoRA adapter is served as `tuneloop-<model id>`: it is loaded with vLLM's runtime LoRA route
 *   (POST <base>/load_lora_adapter, which `tuneloop_worker serve` answers too) before its first use
 *   in this process, and again when the server says the model does not exist (it restarted).
 *   vLLM needs `--enable-lora` and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True for that route.
 * - Timeouts and bounded retries are the SDK's (INFERENCE_TIMEOUT_MS, INFERENCE_MAX_RETRIES); one
 *   circuit breaker per server. Whatever means "the model cannot answer now" (connection refused,
 *   timeout, 429, 5xx, breaker open) becomes ModelUnavailableError: the job retries later and
 *   nothing is posted. A request the server refuses (400, 401, …) is a ModelRequestError.
 * - Prompts for external models (MASK_PROMPTS) leave with personal data masked and the answer comes
 *   back with it restored (masking.ts); callers pass the ticket's known people.
 */
import OpenAI from 'openai';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { models } from '../../db/schema/index.ts';
import type { Logger } from '../../log.ts';
import { withoutControlCharacters } from '../../safe-error.ts';
import type { KnownPerson } from '../../datasets/pii/index.ts';
import { CircuitBreaker, CircuitOpenError } from './circuit-breaker.ts';
import { countMasked, maskPrompt, restoreAnswer, shouldMask } from './masking.ts';
import { inferenceBreakerOpen, inferenceDuration, inferenceRequests, type InferenceOutcome } from './metrics.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export type ServedModel = Pick<typeof models.$inferSelect, 'id' | 'backend' | 'baseModel' | 'adapterPath' | 'modelPath' | 'providerModel' | 'task'>;

/** The model cannot answer now (server down, timeout, 429/5xx, breaker open): retry the job later. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
}

/** The model server refused the request itself (400, 401, 403, 422): retrying the same request cannot help. */
export class ModelRequestError extends Error {
  override name = 'ModelRequestError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface CompletionResult {
  text: string;
  latencyMs: number;
  promptTokens: number | null;
  completionTokens: number | null;
  /** The model name the server was asked for. */
  servedAs: string;
}

export interface CompletionOptions {
  maxTokens?: number;
  temperature?: number;
  /** Ask for a JSON object (`response_format: json_object`; the gpu-worker's serve ignores it, vLLM and OpenAI honour it). */
  json?: boolean;
  signal?: AbortSignal;
  /** People the vendor named on the ticket: masked in every spelling when the prompt is masked. */
  knownPeople?: readonly KnownPerson[];
}

export interface InferenceClient {
  complete(model: ServedModel, messages: ChatMessage[], options?: CompletionOptions): Promise<CompletionResult>;
}

type InferenceConfig = Pick<
  Config,
  'INFERENCE_BASE_URL' | 'INFERENCE_API_KEY' | 'INFERENCE_TIMEOUT_MS' | 'INFERENCE_MAX_RETRIES' | 'INFERENCE_BREAKER_FAILURES' | 'INFERENCE_BREAKER_COOLDOWN_MS' | 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'MASK_PROMPTS'
>;

export interface InferenceClientOptions {
  config: InferenceConfig;
  log: Logger;
  /** The breakers' clock, replaceable in tests. */
  now?: () => number;
}

const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** What we read of a chat completion (https://platform.openai.com/docs/api-reference/chat/object). */
const CompletionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }).nullish(),
});

interface Endpoint {
  /** host + path, never credentials: a metric label and log field. */
  label: string;
  sdk: OpenAI;
  breaker: CircuitBreaker;
  /** Adapters loaded (or loading) by this process, by served name. */
  adapters: Map<string, Promise<void>>;
}

/** A failure that means "the server is not answering": counted by the breaker, retried later. */
class MalformedResponseError extends Error {}

function isUnavailable(error: unknown): boolean {
  if (error instanceof MalformedResponseError || error instanceof OpenAI.APIConnectionError) return true;
  if (error instanceof OpenAI.APIUserAbortError || !(error instanceof OpenAI.APIError)) return false;
  const status = error.status ?? 0;
  return status >= 500 || status === 408 || status === 429;
}

function endpointLabel(baseURL: string): string {
  const url = new URL(baseURL);
  return `${url.host}${url.pathname.replace(/\/$/, '')}`;
}

/** The name a server knows the model by. */
export function servedName(model: ServedModel): string {
  if (model.backend === 'openai') {
    if (!model.providerModel) throw new ModelRequestError(`model ${model.id} (backend openai) has no provider model name`, null);
    return model.providerModel;
  }
  if (model.adapterPath) return `tuneloop-${model.id}`;
  // A fully fine-tuned model needs a server started with `--model <modelPath>`; a base model is served by its name.
  return model.modelPath ?? model.baseModel;
}

export function createInferenceClient(options: InferenceClientOptions): InferenceClient {
  const { config } = options;
  const log = options.log.child({ module: 'inference' });
  const endpoints = new Map<string, Endpoint>();

  function endpointFor(model: ServedModel): Endpoint {
    const openai = model.backend === 'openai';
    const baseURL = openai ? (config.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL) : config.INFERENCE_BASE_URL;
    const apiKey = openai ? config.OPENAI_API_KEY : config.INFERENCE_API_KEY;
    if (openai && !apiKey) throw new ModelRequestError(`model ${model.id} is an OpenAI model but OPENAI_API_KEY is not set`, null);
    let endpoint = endpoints.get(baseURL);
    if (endpoint) return endpoint;
    const label = endpointLabel(baseURL);
    const gauge = inferenceBreakerOpen.labels(label);
    gauge.set(0);
    endpoint = {
      label,
      // A server without --api-key ignores the header; the SDK insists on some key.
      sdk: new OpenAI({ apiKey: apiKey ?? 'EMPTY', baseURL, timeout: config.INFERENCE_TIMEOUT_MS, maxRetries: config.INFERENCE_MAX_RETRIES }),
      breaker: new CircuitBreaker({
        failureThreshold: config.INFERENCE_BREAKER_FAILURES,
        cooldownMs: config.INFERENCE_BREAKER_COOLDOWN_MS,
        ...(options.now ? { now: options.now } : {}),
        onStateChange: (state) => {
          gauge.set(state === 'closed' ? 0 : 1);
          if (state === 'open') log.warn({ endpoint: label }, 'model server circuit breaker opened: requests fail fast until a trial succeeds');
          else log.info({ endpoint: label, state }, `model server circuit breaker ${state}`);
        },
      }),
      adapters: new Map(),
    };
    endpoints.set(baseURL, endpoint);
    return endpoint;
  }

  /** Loads an adapter once per process; concurrent first uses share one load. */
  function ensureAdapter(endpoint: Endpoint, name: string, path: string, signal?: AbortSignal): Promise<void> {
    let loading = endpoint.adapters.get(name);
    if (!loading) {
      loading = loadAdapter(endpoint, name, path, signal).catch((error: unknown) => {
        endpoint.adapters.delete(name);
        throw error;
      });
      endpoint.adapters.set(name, loading);
    }
    return loading;
  }

  async function loadAdapter(endpoint: Endpoint, name: string, path: string, signal?: AbortSignal): Promise<void> {
    try {
      // https://docs.vllm.ai/en/latest/features/lora.html#dynamically-serving-lora-adapters
      await endpoint.sdk.post('/load_lora_adapter', { body: { lora_name: name, lora_path: path }, ...(signal ? { signal } : {}) });
      log.info({ endpoint: endpoint.label, adapter: name }, 'LoRA adapter loaded on the model server');
    } catch (error) {
      // Another hub process (or an earlier attempt that timed out) loaded it already: that is the goal.
      if (error instanceof OpenAI.BadRequestError && /already (been )?loaded/i.test(error.message)) return;
      throw error;
    }
  }

  async function chat(endpoint: Endpoint, name: string, messages: ChatMessage[], options: CompletionOptions) {
    const raw = await endpoint.sdk.chat.completions.create(
      {
        model: name,
        messages,
        ...(options.maxTokens !== undefined ? { max_completion_tokens: options.maxTokens } : {}),
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.json ? { response_format: { type: 'json_object' as const } } : {}),
      },
      options.signal ? { signal: options.signal } : {},
    );
    const parsed = CompletionSchema.safeParse(raw);
    if (!parsed.success) throw new MalformedResponseError(`the model server's answer did not have the chat completion shape (${parsed.error.issues[0]?.path.join('.') || 'body'})`);
    return parsed.data;
  }

  async function request(endpoint: Endpoint, model: ServedModel, name: string, messages: ChatMessage[], options: CompletionOptions) {
    const adapterPath = model.backend === 'local' ? model.adapterPath : null;
    if (!adapterPath) return chat(endpoint, name, messages, options);
    await ensureAdapter(endpoint, name, adapterPath, options.signal);
    try {
      return await chat(endpoint, name, messages, options);
    } catch (error) {
      if (!(error instanceof OpenAI.NotFoundError)) throw error;
      // The server forgot the adapter (restarted): load it again and retry once.
      log.info({ endpoint: endpoint.label, adapter: name }, 'the model server does not know the adapter any more; loading it again');
      endpoint.adapters.delete(name);
      await ensureAdapter(endpoint, name, adapterPath, options.signal);
      return chat(endpoint, name, messages, options);
    }
  }

  function failure(error: unknown, endpoint: Endpoint, model: ServedModel, name: string): { outcome: InferenceOutcome; error: unknown } {
    const where = `model ${model.id} (${name}) at ${endpoint.label}`;
    if (error instanceof CircuitOpenError) return { outcome: 'breaker_open', error: new ModelUnavailableError(`${where} is unavailable: ${error.message}`, { cause: error }) };
    if (error instanceof OpenAI.APIUserAbortError) return { outcome: 'aborted', error };
    if (isUnavailable(error)) {
      const why = error instanceof OpenAI.APIConnectionTimeoutError ? 'timed out' : error instanceof OpenAI.APIConnectionError ? 'could not be reached' : (error as Error).message;
      return { outcome: 'unavailable', error: new ModelUnavailableError(`${where} is unavailable: ${why}`, { cause: error }) };
    }
    // Not served at all (a base model the server was not started with, an adapter that will not stay loaded).
    if (error instanceof OpenAI.NotFoundError) return { outcome: 'unavailable', error: new ModelUnavailableError(`${where} is not served: ${error.message}`, { cause: error }) };
    if (error instanceof OpenAI.APIError) return { outcome: 'rejected', error: new ModelRequestError(`${where} refused the request: ${error.message}`, error.status ?? null) };
    return { outcome: 'rejected', error };
  }

  return {
    async complete(model, messages, completionOptions = {}) {
      const started = performance.now();
      const record = (outcome: InferenceOutcome) => {
        inferenceRequests.labels(model.task, outcome).inc();
        inferenceDuration.labels(model.task, model.id).observe((performance.now() - started) / 1000);
      };
      let endpoint: Endpoint;
      let name: string;
      try {
        endpoint = endpointFor(model);
        name = servedName(model);
      } catch (error) {
        record('rejected');
        throw error;
      }
      const masked = shouldMask(config.MASK_PROMPTS, model) ? maskPrompt(messages, completionOptions.knownPeople) : null;
      try {
        const answer = await endpoint.breaker.run(() => request(endpoint, model, name, masked?.messages ?? messages, completionOptions), isUnavailable);
        record('ok');
        if (masked) countMasked(model, masked.counts);
        // Model output is outside input: a NUL or other control character has no place in a note or a row.
        const text = withoutControlCharacters(answer.choices[0]?.message.content ?? '');
        return {
          text: masked ? restoreAnswer(text, masked.values, { json: completionOptions.json === true }) : text,
          latencyMs: performance.now() - started,
          promptTokens: answer.usage?.prompt_tokens ?? null,
          completionTokens: answer.usage?.completion_tokens ?? null,
          servedAs: name,
        };
      } catch (error) {
        const mapped = failure(error, endpoint, model, name);
        record(mapped.outcome);
        if (mapped.outcome === 'unavailable') log.warn({ endpoint: endpoint.label, modelId: model.id, task: model.task, err: (mapped.error as Error).message }, 'model unavailable');
        throw mapped.error;
      }
    },
  };
}
