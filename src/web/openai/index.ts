/**
 * The OpenAI-compatible door to every model the hub manages, at `/v1`: chat and legacy
 * completions (streaming as server-sent events), the model list, the simple `generate` form, and
 * the Batch API. Any OpenAI client works by pointing its base URL at `<hub>/v1`.
 */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.ts';
import { createGateway, type Gateway } from '../../models/gateway/gateway.ts';
import { ChatRequest, CompletionRequest, GenerateRequest } from '../../models/gateway/requests.ts';
import { requireCaller, type CallerVariables } from './auth.ts';
import { batchRoutes } from './batches.ts';
import { openaiError } from './errors.ts';
import { findCallableModel, listCallableModels } from './models.ts';
import { openaiShape, readBody, relayRequest, type Shape } from './relay.ts';

/** The simple form's shapes: `{generated_text, usage, model, latency_ms}`; streamed as `{token}` events and a final summary. */
const generateShape: Shape = {
  answer: (upstream, requested, latencyMs) => {
    const choice = Array.isArray(upstream.choices) ? (upstream.choices[0] as { message?: { content?: string } } | undefined) : undefined;
    return { generated_text: choice?.message?.content ?? '', usage: upstream.usage ?? null, model: requested, latency_ms: Math.round(latencyMs) };
  },
  chunk: (chunk) => {
    const choice = Array.isArray(chunk.choices) ? (chunk.choices[0] as { delta?: { content?: string } } | undefined) : undefined;
    const token = choice?.delta?.content;
    return token ? { token } : null;
  },
  final: (tally, requested, latencyMs) => [
    {
      generated_text: tally.text,
      usage: tally.completionTokens === null ? null : { prompt_tokens: tally.promptTokens, completion_tokens: tally.completionTokens, total_tokens: (tally.promptTokens ?? 0) + tally.completionTokens },
      model: requested,
      latency_ms: Math.round(latencyMs),
    },
  ],
};

export function openaiRoutes(deps: AppDeps, gateway: Gateway = createGateway(deps)) {
  const app = new Hono<{ Variables: CallerVariables }>();
  const db = deps.database.db;
  // On each route (not app.use), so every route carries its declared role.
  const auth = requireCaller(db);

  app.post('/chat/completions', auth, async (c) => {
    const body = await readBody(c, ChatRequest);
    return body instanceof Response ? body : relayRequest(c, gateway, '/chat/completions', body, openaiShape);
  });

  app.post('/completions', auth, async (c) => {
    const body = await readBody(c, CompletionRequest);
    return body instanceof Response ? body : relayRequest(c, gateway, '/completions', body, openaiShape);
  });

  app.post('/fine-tuned/:model{.+}/generate', auth, async (c) => {
    const body = await readBody(c, GenerateRequest);
    if (body instanceof Response) return body;
    const chat = ChatRequest.parse({
      model: c.req.param('model'),
      messages: [{ role: 'user', content: body.prompt }],
      max_tokens: body.max_tokens,
      ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
      stream: body.stream,
    });
    return relayRequest(c, gateway, '/chat/completions', chat, generateShape, '/generate');
  });

  app.get('/models', auth, async (c) => c.json({ object: 'list', data: await listCallableModels(db, c.get('caller')) }));

  app.get('/models/:model{.+}', auth, async (c) => {
    const model = await findCallableModel(db, c.get('caller'), c.req.param('model'));
    if (!model) return openaiError(c, 404, 'invalid_request_error', 'model_not_found', `The model \`${c.req.param('model')}\` does not exist or this token may not use it.`, 'model');
    return c.json(model);
  });

  app.route('/', batchRoutes(deps, auth));

  return app;
}
