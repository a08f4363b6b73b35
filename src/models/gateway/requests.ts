/**
 * The request bodies the inference API accepts: OpenAI's chat and legacy completions (unknown
 * fields pass through to the model server, as OpenAI's own clients send many), and the simple
 * `generate` form. Validation errors name the field, in OpenAI's `param` style.
 */
import { z } from 'zod';

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart), z.null()]),
});

const common = {
  model: z.string().min(1).max(200),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  max_tokens: z.number().int().positive().max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  user: z.string().max(256).nullish(),
};

export const ChatRequest = z.looseObject({
  ...common,
  messages: z.array(message).min(1).max(2_000),
  max_completion_tokens: z.number().int().positive().max(1_000_000).nullish(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

export const CompletionRequest = z.looseObject({
  ...common,
  // One prompt per request: several (an array of prompts) would need n-way answers the model servers do not all give.
  prompt: z.union([z.string(), z.array(z.string()).length(1, 'send one prompt per request (an array of exactly one)')]),
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

export const GenerateRequest = z.strictObject({
  prompt: z.string().min(1),
  max_tokens: z.number().int().positive().max(1_000_000).default(500),
  temperature: z.number().min(0).max(2).optional(),
  stream: z.boolean().default(false),
});
export type GenerateRequest = z.infer<typeof GenerateRequest>;

/**
 * A prompt's size in tokens, estimated (characters / 4) rather than tokenized: it only guards the
 * context window and reserves rate-limit room, on every request; the model server's usage gives
 * the real count afterwards.
 */
const approxTokens = (chars: number) => Math.ceil(chars / 4);

/** Default completion length when the caller names none (for the context check and rate limits). */
export const DEFAULT_MAX_TOKENS = 256;

function text(content: z.infer<typeof message>['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

/** Approximate prompt tokens (characters / 4 plus a few per message for the chat template). */
export const isChat = (body: ChatRequest | CompletionRequest): body is ChatRequest => Array.isArray((body as ChatRequest).messages);

export function promptTokensOf(body: ChatRequest | CompletionRequest): number {
  if (isChat(body)) return body.messages.reduce((sum, m) => sum + approxTokens(text(m.content).length) + 4, 0);
  const prompt = Array.isArray((body as CompletionRequest).prompt) ? (body.prompt[0] ?? '') : body.prompt;
  return approxTokens(prompt.length);
}

export function maxTokensOf(body: ChatRequest | CompletionRequest): number {
  return (isChat(body) ? body.max_completion_tokens : null) ?? body.max_tokens ?? DEFAULT_MAX_TOKENS;
}

/** The first issue of a zod error as OpenAI words it: message and the offending parameter. */
export function firstIssue(error: z.ZodError): { message: string; param: string | null } {
  const issue = error.issues[0];
  const param = issue?.path.length ? issue.path.join('.') : null;
  return { message: `${param ? `${param}: ` : ''}${issue?.message ?? 'invalid request body'}`, param };
}
