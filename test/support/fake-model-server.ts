/**
 * A loopback model server that speaks the part of the OpenAI protocol the hub uses (chat
 * completions, /v1/models) plus vLLM's runtime LoRA route, answering at once: for tests of the
 * inference client's failure handling and for bench/serve, where model time must not dominate.
 * The real one is `python -m tuneloop_worker serve` (one test runs against it).
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';

export interface ChatBody {
  model: string;
  messages: Array<{ role: string; content: string }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string };
  max_completion_tokens?: number;
  temperature?: number;
}

export interface FakeModelServerOptions {
  /** Names served without loading (base models). */
  baseModels?: string[];
  /** The assistant's answer to a request; default "echo: <last message>". */
  reply?: (body: ChatBody) => string;
  /** Pause before each whole (not streamed) answer (default 0). */
  replyDelayMs?: number;
  /** Pause between streamed words (default 0). */
  streamDelayMs?: number;
}

export interface FakeModelServer {
  url: string;
  port: number;
  /** Every chat request and adapter load, in order. */
  chats: ChatBody[];
  loads: Array<{ lora_name: string; lora_path: string }>;
  /** Answer every request with this status (null: normal). */
  failWith(status: number | null): void;
  /** Never answer chat requests (for timeouts). */
  hang(on: boolean): void;
  /** Forget loaded adapters, as a restarted server does. */
  forgetAdapters(): void;
  /** Streams whose client went away before the end. */
  streamsCancelled(): number;
  /** Legacy completion requests, in order. */
  completions: Array<{ model: string; prompt: string | string[] }>;
  close(): Promise<void>;
}

const error = (c: Context, status: 400 | 404 | 500 | 503, message: string) => c.json({ error: { message, type: status === 404 ? 'NotFoundError' : 'BadRequestError', param: null, code: status } }, status);

export async function startFakeModelServer(options: FakeModelServerOptions = {}, port = 0): Promise<FakeModelServer> {
  const adapters = new Map<string, string>();
  const chats: ChatBody[] = [];
  const loads: Array<{ lora_name: string; lora_path: string }> = [];
  const bases = new Set(options.baseModels ?? ['base']);
  const reply = options.reply ?? ((body: ChatBody) => `echo: ${body.messages.at(-1)?.content ?? ''}`);
  let failure: number | null = null;
  let hanging = false;
  let cancelled = 0;
  const completions: Array<{ model: string; prompt: string | string[] }> = [];
  const delay = options.streamDelayMs ?? 0;

  const app = new Hono();
  app.use('/v1/*', async (c, next) => {
    if (failure !== null) return error(c, failure as 500, `injected failure ${failure}`);
    await next();
  });
  app.get('/v1/models', (c) => c.json({ object: 'list', data: [...bases, ...adapters.keys()].map((id) => ({ id, object: 'model', owned_by: 'fake' })) }));
  app.post('/v1/load_lora_adapter', async (c) => {
    const body = (await c.req.json()) as { lora_name: string; lora_path: string };
    if (adapters.has(body.lora_name)) return error(c, 400, `The lora adapter '${body.lora_name}' has already been loaded.`);
    loads.push(body);
    adapters.set(body.lora_name, body.lora_path);
    return c.text(`Success: LoRA adapter '${body.lora_name}' added successfully.`);
  });
  app.post('/v1/chat/completions', async (c) => {
    const body = (await c.req.json()) as ChatBody;
    if (hanging) return new Promise<Response>(() => undefined);
    if (!bases.has(body.model) && !adapters.has(body.model)) return error(c, 404, `The model \`${body.model}\` does not exist.`);
    if (options.replyDelayMs && !body.stream) await new Promise((resolve) => setTimeout(resolve, options.replyDelayMs));
    chats.push(body);
    const content = reply(body);
    const usage = { prompt_tokens: body.messages.reduce((n, m) => n + m.content.length, 0), completion_tokens: content.length, total_tokens: 0 };
    if (body.stream) {
      const id = `chatcmpl-${chats.length}`;
      const created = Math.floor(Date.now() / 1000);
      const chunk = (delta: Record<string, unknown>, finish: string | null) => ({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
      return streamSSE(c, async (stream) => {
        let aborted = false;
        stream.onAbort(() => {
          aborted = true;
          cancelled++;
        });
        await stream.writeSSE({ data: JSON.stringify(chunk({ role: 'assistant', content: '' }, null)) });
        for (const word of content.split(/(?<= )/)) {
          if (aborted) return;
          if (delay) await stream.sleep(delay);
          await stream.writeSSE({ data: JSON.stringify(chunk({ content: word }, null)) });
        }
        await stream.writeSSE({ data: JSON.stringify(chunk({}, 'stop')) });
        if (body.stream_options?.include_usage) await stream.writeSSE({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage }) });
        await stream.writeSSE({ data: '[DONE]' });
      });
    }
    return c.json({
      id: `chatcmpl-${chats.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
      usage,
    });
  });
  app.post('/v1/completions', async (c) => {
    const body = (await c.req.json()) as { model: string; prompt: string | string[] };
    if (!bases.has(body.model) && !adapters.has(body.model)) return error(c, 404, `The model \`${body.model}\` does not exist.`);
    completions.push(body);
    const prompt = Array.isArray(body.prompt) ? (body.prompt[0] ?? '') : body.prompt;
    const text = reply({ model: body.model, messages: [{ role: 'user', content: prompt }] });
    return c.json({
      id: `cmpl-${completions.length}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: prompt.length, completion_tokens: text.length, total_tokens: prompt.length + text.length },
    });
  });

  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}/v1`,
        port: info.port,
        chats,
        loads,
        failWith: (status) => void (failure = status),
        hang: (on) => void (hanging = on),
        forgetAdapters: () => adapters.clear(),
        streamsCancelled: () => cancelled,
        completions,
        close: () =>
          new Promise<void>((done) => {
            (server as Server).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}
