/**
 * Where a model lives and how a request gets there: locally trained models go to the model servers
 * (INFERENCE_BASE_URLS, else INFERENCE_BASE_URL: the gpu-worker's `serve` or vLLM), OpenAI-trained
 * ones to OPENAI_BASE_URL. Each server has a circuit breaker and a periodic health check; a request
 * goes to the first healthy server whose breaker lets it through, and fails over to the next when
 * the server is down, answers 5xx/429 or times out — before anything has reached the caller.
 * A LoRA adapter is loaded with vLLM's `POST /load_lora_adapter` on first use per server, and again
 * when the server has forgotten it (404 after a restart).
 */
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import { CircuitBreaker, CircuitOpenError } from '../inference/circuit-breaker.ts';
import { inferenceBreakerOpen } from '../inference/metrics.ts';
import { servedName, type ServedModel } from '../inference/client.ts';

type UpstreamConfig = Pick<
  Config,
  'INFERENCE_BASE_URL' | 'INFERENCE_BASE_URLS' | 'INFERENCE_API_KEY' | 'INFERENCE_TIMEOUT_MS' | 'INFERENCE_BREAKER_FAILURES' | 'INFERENCE_BREAKER_COOLDOWN_MS' | 'INFERENCE_HEALTH_INTERVAL_MS' | 'OPENAI_API_KEY' | 'OPENAI_BASE_URL'
>;

const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
const HEALTH_TIMEOUT_MS = 2_000;

/** No server can answer now: the caller gets 503 with Retry-After. */
export class UpstreamUnavailableError extends Error {
  override name = 'UpstreamUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The model cannot be reached by configuration (an OpenAI model without OPENAI_API_KEY). */
export class UpstreamConfigError extends Error {
  override name = 'UpstreamConfigError';
}

interface Endpoint {
  baseUrl: string;
  label: string;
  apiKey: string | undefined;
  breaker: CircuitBreaker;
  healthy: boolean;
  adapters: Map<string, Promise<void>>;
}

/** A transient failure of one server: try the next one. */
class ServerFailure extends Error {}

export interface Upstream {
  /** The server's answer (2xx or a 4xx the caller should see); its body not yet read. */
  send(model: ServedModel, path: '/chat/completions' | '/completions', body: Record<string, unknown>, signal: AbortSignal): Promise<{ response: Response; endpoint: string }>;
  endpoints(): Array<{ label: string; healthy: boolean; breaker: string }>;
  close(): void;
}

export function createUpstream(config: UpstreamConfig, log: Logger): Upstream {
  const pools = new Map<string, Endpoint[]>();
  let healthTimer: NodeJS.Timeout | null = null;

  function endpoint(baseUrl: string, apiKey: string | undefined): Endpoint {
    const url = new URL(baseUrl);
    const label = `${url.host}${url.pathname.replace(/\/$/, '')}`;
    const gauge = inferenceBreakerOpen.labels(label);
    gauge.set(0);
    return {
      baseUrl: baseUrl.replace(/\/$/, ''),
      label,
      apiKey,
      healthy: true,
      adapters: new Map(),
      breaker: new CircuitBreaker({
        failureThreshold: config.INFERENCE_BREAKER_FAILURES,
        cooldownMs: config.INFERENCE_BREAKER_COOLDOWN_MS,
        onStateChange: (state) => {
          gauge.set(state === 'closed' ? 0 : 1);
          log.warn({ endpoint: label, state }, `model server circuit breaker ${state}`);
        },
      }),
    };
  }

  function poolFor(model: ServedModel): Endpoint[] {
    const openai = model.backend === 'openai';
    if (openai && !config.OPENAI_API_KEY) throw new UpstreamConfigError(`model ${model.id} is served by OpenAI, but OPENAI_API_KEY is not set on the hub`);
    const key = openai ? 'openai' : 'local';
    let pool = pools.get(key);
    if (!pool) {
      pool = openai
        ? [endpoint(config.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL, config.OPENAI_API_KEY)]
        : (config.INFERENCE_BASE_URLS ?? [config.INFERENCE_BASE_URL]).map((url) => endpoint(url, config.INFERENCE_API_KEY));
      pools.set(key, pool);
      if (!openai) startHealthChecks();
    }
    return pool;
  }

  function headers(target: Endpoint): Record<string, string> {
    return { 'content-type': 'application/json', ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) };
  }

  /** Aborts on the caller's signal, or when the server has not sent its headers within the timeout. */
  async function post(target: Endpoint, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new ServerFailure(`${target.label} did not answer within ${config.INFERENCE_TIMEOUT_MS} ms`)), config.INFERENCE_TIMEOUT_MS);
    try {
      return await fetch(`${target.baseUrl}${path}`, { method: 'POST', headers: headers(target), body: JSON.stringify(body), signal: AbortSignal.any([signal, timeout.signal]) });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ServerFailure(timeout.signal.aborted ? `${target.label} timed out` : `${target.label} could not be reached`);
    } finally {
      clearTimeout(timer);
    }
  }

  function ensureAdapter(target: Endpoint, name: string, path: string, signal: AbortSignal): Promise<void> {
    let loading = target.adapters.get(name);
    if (!loading) {
      loading = (async () => {
        const response = await post(target, '/load_lora_adapter', { lora_name: name, lora_path: path }, signal);
        const text = await response.text();
        // Another hub process loaded it already: that is the goal.
        if (response.ok || (response.status === 400 && /already (been )?loaded/i.test(text))) return;
        throw response.status >= 500 ? new ServerFailure(`${target.label} failed to load adapter ${name} (${response.status})`) : new UpstreamConfigError(`${target.label} refused to load adapter ${name} (${response.status})`);
      })().catch((error: unknown) => {
        target.adapters.delete(name);
        throw error;
      });
      target.adapters.set(name, loading);
    }
    return loading;
  }

  async function attempt(target: Endpoint, model: ServedModel, name: string, path: string, body: Record<string, unknown>, signal: AbortSignal): Promise<Response> {
    const adapterPath = model.backend === 'local' ? model.adapterPath : null;
    if (adapterPath) await ensureAdapter(target, name, adapterPath, signal);
    let response = await post(target, path, body, signal);
    if (response.status === 404 && adapterPath) {
      await response.body?.cancel();
      log.info({ endpoint: target.label, adapter: name }, 'the model server does not know the adapter any more; loading it again');
      target.adapters.delete(name);
      await ensureAdapter(target, name, adapterPath, signal);
      response = await post(target, path, body, signal);
    }
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      await response.body?.cancel();
      throw new ServerFailure(`${target.label} answered ${response.status}`);
    }
    return response;
  }

  function startHealthChecks(): void {
    if (healthTimer) return;
    healthTimer = setInterval(() => {
      for (const target of pools.get('local') ?? []) {
        fetch(`${target.baseUrl}/models`, { headers: headers(target), signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })
          .then(async (response) => {
            await response.body?.cancel();
            target.healthy = response.ok;
          })
          .catch(() => {
            target.healthy = false;
          });
      }
    }, config.INFERENCE_HEALTH_INTERVAL_MS);
    healthTimer.unref();
  }

  return {
    async send(model, path, body, signal) {
      const pool = poolFor(model);
      const name = servedName(model);
      const ordered = [...pool.filter((target) => target.healthy), ...pool.filter((target) => !target.healthy)];
      const failures: string[] = [];
      for (const target of ordered) {
        try {
          const response = await target.breaker.run(() => attempt(target, model, name, path, { ...body, model: name }, signal), (error) => error instanceof ServerFailure);
          return { response, endpoint: target.label };
        } catch (error) {
          if (error instanceof ServerFailure || error instanceof CircuitOpenError) {
            failures.push(error instanceof CircuitOpenError ? `${target.label}: circuit open` : error.message);
            continue;
          }
          throw error;
        }
      }
      log.warn({ modelId: model.id, failures }, 'no model server could answer');
      throw new UpstreamUnavailableError(`no model server could answer for model ${model.id}; try again shortly`, Math.max(1, Math.ceil(config.INFERENCE_BREAKER_COOLDOWN_MS / 1000)));
    },
    endpoints() {
      return [...pools.values()].flat().map((target) => ({ label: target.label, healthy: target.healthy, breaker: target.breaker.state }));
    },
    close() {
      if (healthTimer) clearInterval(healthTimer);
      healthTimer = null;
    },
  };
}
