/**
 * One inference request from decision to answer: validate, let the gateway decide (model, scope,
 * context, budget, rate limit), send it to the model server, and hand back its answer — as JSON or
 * as a relayed event stream — with the usage row written when the answer is complete. Every upstream
 * failure becomes an OpenAI-shaped error: 503 with Retry-After when no server can answer.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { exampleTokens } from '../../datasets/stats.ts';
import { ModelRequestError } from '../../models/inference/client.ts';
import { GatewayError, type Gateway, type GatewayEndpoint, type Prepared } from '../../models/gateway/gateway.ts';
import { firstIssue, isChat, type ChatRequest, type CompletionRequest } from '../../models/gateway/requests.ts';
import { relayEvents, type StreamTally } from '../../models/gateway/stream.ts';
import { UpstreamConfigError, UpstreamUnavailableError } from '../../models/gateway/upstream.ts';
import type { CallerVariables } from './auth.ts';
import { gatewayErrorResponse, jsonBody, openaiError } from './errors.ts';

type Ctx = Context<{ Variables: CallerVariables }>;

export interface Shape {
  /** What the caller gets for a whole answer. */
  answer: (upstream: Record<string, unknown>, requested: string, latencyMs: number) => unknown;
  /** What the caller gets for one streamed chunk (null: nothing). */
  chunk: (chunk: Record<string, unknown>, requested: string, includeUsage: boolean) => unknown;
  /** Events after the last chunk. */
  final?: (tally: StreamTally, requested: string, latencyMs: number) => unknown[];
}

/** OpenAI's own shapes: the answer and its chunks as the server sent them, under the name the caller used. */
export const openaiShape: Shape = {
  answer: (upstream, requested) => ({ ...upstream, model: requested }),
  chunk: (chunk, requested, includeUsage) => {
    const usageOnly = Array.isArray(chunk.choices) && chunk.choices.length === 0;
    if (!includeUsage && usageOnly) return null;
    const { usage, ...rest } = chunk;
    return includeUsage ? { ...rest, model: requested, usage: usage ?? null } : { ...rest, model: requested };
  },
};

function usageOf(upstream: Record<string, unknown>): { promptTokens: number | null; completionTokens: number | null } {
  const usage = upstream.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
  return {
    promptTokens: typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : null,
    completionTokens: typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : null,
  };
}

/** The prompt as chat messages (a legacy completion's prompt as one user message), text parts joined. */
function promptOf(body: ChatRequest | CompletionRequest): Array<{ role: string; content: string }> {
  if (!isChat(body)) return [{ role: 'user', content: Array.isArray(body.prompt) ? (body.prompt[0] ?? '') : body.prompt }];
  return body.messages.map((m) => ({ role: m.role, content: typeof m.content === 'string' ? m.content : (m.content ?? []).map((part) => part.text ?? '').join('') }));
}

function answerText(answer: Record<string, unknown>): string {
  const choice = Array.isArray(answer.choices) ? (answer.choices[0] as { message?: { content?: unknown }; text?: unknown } | undefined) : undefined;
  const text = choice?.message?.content ?? choice?.text;
  return typeof text === 'string' ? text : '';
}

/** Parses `raw` with `schema`; a bad body is a 400 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const { message, param } = firstIssue(parsed.error);
    throw new GatewayError(400, 'invalid_request_error', 'invalid_request', message, param);
  }
  return parsed.data;
}

export async function relayRequest(c: Ctx, gateway: Gateway, endpoint: GatewayEndpoint, body: ChatRequest | CompletionRequest, shape: Shape, as: Prepared['endpoint'] = endpoint): Promise<Response> {
  const caller = c.get('caller');
  let prepared: Prepared | null = null;
  const abort = new AbortController();
  const callerLeft = () => abort.abort();
  c.req.raw.signal.addEventListener('abort', callerLeft, { once: true });
  try {
    prepared = await gateway.prepare(caller, as, body);
    const ready = prepared;
    for (const [name, value] of Object.entries(ready.rateHeaders)) c.header(name, value);
    const stream = body.stream === true;
    const includeUsage = body.stream_options?.include_usage === true;
    const upstreamBody: Record<string, unknown> = { ...body, ...(stream ? { stream_options: { ...(body.stream_options ?? {}), include_usage: true } } : {}) };
    delete upstreamBody.user;
    const { response } = await gateway.upstream.send(ready.resolved.model, endpoint, upstreamBody, abort.signal);
    const requested = ready.resolved.requested;

    if (!response.ok) {
      const text = await response.text();
      let message = `the model server refused the request (${response.status})`;
      try {
        const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string; detail?: string };
        const detail = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message ?? parsed.detail);
        if (detail) message = `the model server refused the request: ${String(detail).slice(0, 500)}`;
      } catch {
        // not JSON: the status says enough
      }
      // 404 here: the server does not serve the model (not the caller's fault): 503, try later.
      if (response.status === 404) throw new UpstreamUnavailableError(`model ${ready.resolved.model.id} is not served by the model server`, 30);
      gateway.finish(ready, { status: 400, promptTokens: 0, completionTokens: 0 });
      return openaiError(c, 400, 'invalid_request_error', 'upstream_rejected', message);
    }

    if (!stream) {
      let answer: Record<string, unknown>;
      try {
        answer = (await response.json()) as Record<string, unknown>;
      } catch {
        throw new UpstreamUnavailableError('the model server sent an answer that is not JSON', 5);
      }
      const usage = usageOf(answer);
      gateway.finish(ready, { status: 200, ...usage, exchange: { prompt: promptOf(body), answer: answerText(answer) } });
      return c.json(shape.answer(answer, requested, performance.now() - ready.started) as Record<string, unknown>);
    }

    if (!response.body) throw new UpstreamUnavailableError('the model server sent no stream', 5);
    const events = relayEvents(response.body, {
      transform: (chunk) => shape.chunk(chunk, requested, includeUsage),
      finalEvents: shape.final ? (tally) => shape.final!(tally, requested, performance.now() - ready.started) : undefined,
      cancelUpstream: () => abort.abort(),
      onEnd: (tally, completed) => {
        c.req.raw.signal.removeEventListener('abort', callerLeft);
        gateway.finish(ready, {
          status: completed ? 200 : 499,
          promptTokens: tally.promptTokens ?? ready.promptTokens,
          completionTokens: tally.completionTokens ?? exampleTokens([{ content: tally.text }]),
          exchange: { prompt: promptOf(body), answer: tally.text },
        });
      },
    });
    return new Response(events, { status: 200, headers: { ...Object.fromEntries(c.res.headers), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' } });
  } catch (error) {
    if (error instanceof GatewayError) {
      gateway.finish(prepared, { status: error.status, promptTokens: 0, completionTokens: 0, caller, requested: body.model, endpoint: as });
      return gatewayErrorResponse(c, error);
    }
    if (error instanceof UpstreamUnavailableError) {
      gateway.finish(prepared, { status: 503, promptTokens: 0, completionTokens: 0, caller, requested: body.model, endpoint: as });
      return openaiError(c, 503, 'server_error', 'model_unavailable', error.message, null, { 'retry-after': String(error.retryAfterSeconds) });
    }
    if (error instanceof UpstreamConfigError || error instanceof ModelRequestError) {
      gateway.finish(prepared, { status: 503, promptTokens: 0, completionTokens: 0, caller, requested: body.model, endpoint: as });
      return openaiError(c, 503, 'server_error', 'model_unavailable', error.message, null, { 'retry-after': '60' });
    }
    if (abort.signal.aborted) {
      gateway.finish(prepared, { status: 499, promptTokens: 0, completionTokens: 0, caller, requested: body.model, endpoint: as });
      return new Response(null, { status: 499 });
    }
    throw error;
  }
}

/** The body as JSON, validated; errors answered in OpenAI's shape. */
export async function readBody<S extends z.ZodType>(c: Ctx, schema: S): Promise<z.infer<S> | Response> {
  try {
    return parseBody(schema, await jsonBody(c));
  } catch (error) {
    if (error instanceof GatewayError) return gatewayErrorResponse(c, error);
    throw error;
  }
}
