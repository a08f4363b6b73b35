/**
 * Answers of a model served elsewhere (backend `openai`) to the test examples, through the hub's
 * inference client, written as the worker's predictions file for its score mode
 * (gpu-worker/tuneloop_worker/evaluation/run.py). One request at a time, greedy (temperature 0).
 * A complete file from an earlier attempt is reused, so a retried evaluation pays for no call twice.
 */
import { access, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ChatMessage, InferenceClient, ServedModel } from '../inference/client.ts';

const TestLine = z.object({ messages: z.array(z.looseObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1) });

/** The messages before the last assistant message: what the model is asked. */
export function promptOf(line: string): ChatMessage[] {
  const { messages } = TestLine.parse(JSON.parse(line));
  const last = messages.findLastIndex((message) => message.role === 'assistant');
  return messages.slice(0, last < 0 ? messages.length : last).map(({ role, content }) => ({ role, content }));
}

export async function writeServedPredictions(options: {
  client: InferenceClient;
  model: ServedModel;
  lines: string[];
  json: boolean;
  maxTokens: number;
  file: string;
  signal?: AbortSignal;
}): Promise<void> {
  if (await access(options.file).then(() => true, () => false)) return;
  const out: string[] = [];
  for (const line of options.lines) {
    const result = await options.client.complete(options.model, promptOf(line), { maxTokens: options.maxTokens, temperature: 0, json: options.json, ...(options.signal ? { signal: options.signal } : {}) });
    out.push(JSON.stringify({ prediction: result.text, latency_ms: result.latencyMs, completion_tokens: result.completionTokens }));
  }
  await writeFile(`${options.file}.tmp`, `${out.join('\n')}\n`);
  await rename(`${options.file}.tmp`, options.file);
}
