/**
 * The inference API's decisions, apart from HTTP: which model a request reaches (resolve.ts), whether
 * the caller may use it, whether it fits the model's context, the caller's budget and rate limits;
 * then, when the answer is in, what it used and cost (usage rows, metrics, budget warnings).
 * The routes in src/web/openai/ and the batch runner both go through here.
 */
import { and, eq, isNull, ne, or } from 'drizzle-orm';
import { defaultScrubber } from '../../datasets/pii/default-scrubber.ts';
import type { AppDeps } from '../../deps.ts';
import { inferenceTokens } from '../../db/schema/index.ts';
import { emitEvent } from '../../events/emit.ts';
import type { ModelRow } from '../registry/registry.ts';
import { requestCost } from './prices.ts';
import { RateLimiter } from './rate-limit.ts';
import { maxTokensOf, promptTokensOf, type ChatRequest, type CompletionRequest } from './requests.ts';
import { resolveModel, type ResolvedModel } from './resolve.ts';
import type { InferenceTokenRow } from './tokens.ts';
import { createUpstream, type Upstream } from './upstream.ts';
import { monthKey, SpendTracker, UsageRecorder } from './usage.ts';

/** Who calls: an inference token (scoped) or an admin API token (every model). */
export type Caller = { kind: 'inference'; token: InferenceTokenRow } | { kind: 'api'; tokenId: string; name: string };

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'rate_limit_error' | 'insufficient_quota' | 'server_error';

/** A refusal in OpenAI's error shape: `{error: {message, type, param, code}}` with its status. */
export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 429 | 500 | 503,
    readonly type: ErrorType,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type GatewayEndpoint = '/chat/completions' | '/completions';

export interface Prepared {
  caller: Caller;
  resolved: ResolvedModel;
  endpoint: GatewayEndpoint | '/generate';
  promptTokens: number;
  reservedTokens: number;
  rateHeaders: Record<string, string>;
  started: number;
}

export interface Outcome {
  status: number;
  promptTokens: number | null;
  completionTokens: number | null;
  batchId?: string | null;
  /** The exchange, kept (scrubbed) only where INFERENCE_KEEP_SCRUBBED_BODIES is on. */
  exchange?: { prompt: Array<{ role: string; content: string }>; answer: string };
}

/** The prompt and answer with personal data replaced, one scrub session so a person keeps one placeholder. */
function scrubbedExchange(exchange: NonNullable<Outcome['exchange']>) {
  const session = defaultScrubber().session();
  return { prompt: exchange.prompt.map((m) => ({ role: m.role, content: session.scrub(m.content).text })), answer: session.scrub(exchange.answer).text };
}

export function mayUse(caller: Caller, model: ModelRow, names: string[]): boolean {
  if (caller.kind === 'api') return true;
  const { models, tasks } = caller.token;
  return tasks.includes('*') || tasks.includes(model.task) || models.includes(model.id) || names.some((name) => models.includes(name));
}

const callerKey = (caller: Caller) => (caller.kind === 'inference' ? `i:${caller.token.id}` : `a:${caller.tokenId}`);

export interface Gateway {
  upstream: Upstream;
  prepare(caller: Caller, endpoint: Prepared['endpoint'], body: ChatRequest | CompletionRequest): Promise<Prepared>;
  finish(prepared: Prepared | null, outcome: Outcome & { requested?: string; caller?: Caller; endpoint?: string }): void;
  close(): Promise<void>;
}

export function createGateway(deps: AppDeps): Gateway {
  const { config, log } = deps;
  const db = deps.database.db;
  const upstream = createUpstream(config, log.child({ module: 'inference-api' }));
  const limiter = new RateLimiter();
  const recorder = new UsageRecorder(db, log);
  const spend = new SpendTracker(db);

  async function checkBudget(token: InferenceTokenRow): Promise<void> {
    if (token.monthlyBudgetUsd === null || token.budgetAction !== 'refuse') return;
    const spent = await spend.of(token.id);
    if (spent >= token.monthlyBudgetUsd) {
      throw new GatewayError(429, 'insufficient_quota', 'insufficient_quota', `this token has used its monthly budget ($${spent.toFixed(2)} of $${token.monthlyBudgetUsd.toFixed(2)}); it resets on the 1st (UTC) or an admin raises it`);
    }
  }

  /** At 80 % of the budget: one warning a month (webhook event `inference.budget_warning` and the log). */
  async function warnIfNearBudget(token: InferenceTokenRow): Promise<void> {
    if (token.monthlyBudgetUsd === null) return;
    const spent = await spend.of(token.id);
    if (spent < 0.8 * token.monthlyBudgetUsd) return;
    const month = monthKey();
    await deps.database.db.transaction(async (tx) => {
      const [claimed] = await tx
        .update(inferenceTokens)
        .set({ budgetWarnedMonth: month })
        .where(and(eq(inferenceTokens.id, token.id), or(isNull(inferenceTokens.budgetWarnedMonth), ne(inferenceTokens.budgetWarnedMonth, month))))
        .returning({ id: inferenceTokens.id });
      if (!claimed) return;
      token.budgetWarnedMonth = month;
      log.warn({ token: token.name, spentUsd: spent, budgetUsd: token.monthlyBudgetUsd }, 'inference token passed 80 % of its monthly budget');
      await emitEvent(tx, { type: 'inference.budget_warning', subjectId: token.id, data: { token: token.name, month, spent_usd: spent, budget_usd: token.monthlyBudgetUsd, action_at_100: token.budgetAction } }, { queue: deps.queue });
    });
  }

  return {
    upstream,
    async prepare(caller, endpoint, body) {
      const started = performance.now();
      const resolved = await resolveModel(db, body.model, body.user ?? undefined);
      if (!resolved) {
        throw new GatewayError(404, 'invalid_request_error', 'model_not_found', `The model \`${body.model}\` does not exist. GET /v1/models lists the models this token may use.`, 'model');
      }
      if (!mayUse(caller, resolved.model, resolved.names)) {
        throw new GatewayError(403, 'permission_error', 'model_not_allowed', `this token may not use the model \`${body.model}\` (task ${resolved.model.task}); an admin can widen its models or tasks`, 'model');
      }
      if ((body.n ?? 1) > 1) throw new GatewayError(400, 'invalid_request_error', 'unsupported_value', 'n > 1 is not supported: send one request per completion', 'n');
      const promptTokens = promptTokensOf(body);
      const maxTokens = maxTokensOf(body);
      if (promptTokens + maxTokens > config.INFERENCE_MAX_CONTEXT_TOKENS) {
        throw new GatewayError(
          400,
          'invalid_request_error',
          'context_length_exceeded',
          `This model's maximum context length is ${config.INFERENCE_MAX_CONTEXT_TOKENS} tokens. However, you requested about ${promptTokens + maxTokens} tokens (${promptTokens} in the prompt, ${maxTokens} for the completion). Please reduce the length of the prompt or of max_tokens.`,
          'messages' in body ? 'messages' : 'prompt',
        );
      }
      if (caller.kind === 'inference') await checkBudget(caller.token);
      const limits = caller.kind === 'inference' ? { requestsPerMinute: caller.token.requestsPerMinute, tokensPerMinute: caller.token.tokensPerMinute } : { requestsPerMinute: null, tokensPerMinute: null };
      const reservedTokens = promptTokens + maxTokens;
      const admission = limiter.admit(callerKey(caller), limits, reservedTokens);
      if (!admission.allowed) {
        throw new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', `rate limit reached for this token; retry in ${admission.retryAfterSeconds} s`, null, { ...admission.headers, 'retry-after': String(admission.retryAfterSeconds) });
      }
      return { caller, resolved, endpoint, promptTokens, reservedTokens, rateHeaders: admission.headers, started };
    },

    finish(prepared, outcome) {
      const caller = prepared?.caller ?? outcome.caller;
      if (!caller) return;
      const model = prepared?.resolved.model ?? null;
      const requested = prepared?.resolved.requested ?? outcome.requested ?? '';
      const promptTokens = outcome.promptTokens ?? (outcome.status < 400 ? (prepared?.promptTokens ?? 0) : 0);
      const completionTokens = outcome.completionTokens ?? 0;
      if (prepared) limiter.settle(callerKey(caller), prepared.reservedTokens, outcome.status < 400 ? promptTokens + completionTokens : 0);
      const costUsd = model && outcome.status < 400 ? requestCost(config.INFERENCE_PRICES, model, requested, promptTokens, completionTokens) : 0;
      recorder.record({
        tokenId: caller.kind === 'inference' ? caller.token.id : null,
        apiTokenId: caller.kind === 'api' ? caller.tokenId : null,
        modelId: model?.id ?? null,
        requested,
        endpoint: prepared?.endpoint ?? outcome.endpoint ?? '',
        status: outcome.status,
        promptTokens,
        completionTokens,
        latencyMs: prepared ? performance.now() - prepared.started : 0,
        costUsd,
        batchId: outcome.batchId ?? null,
        sample: config.INFERENCE_KEEP_SCRUBBED_BODIES && outcome.exchange && outcome.status < 400 ? scrubbedExchange(outcome.exchange) : null,
      });
      if (caller.kind === 'inference' && costUsd > 0) {
        spend.add(caller.token.id, costUsd);
        warnIfNearBudget(caller.token).catch((error: unknown) => log.warn({ err: (error as Error).message }, 'budget warning could not be sent'));
      }
    },

    async close() {
      upstream.close();
      await recorder.flush();
    },
  };
}

