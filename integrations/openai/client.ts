/**
 * The one way tuneloop calls OpenAI: the official `openai` SDK with a `baseURL` (the real API, or
 * the loopback sandbox). The SDK retries 408/409/429/5xx itself and waits what Retry-After (or
 * retry-after-ms) says; each call here is then parsed with zod and its failure mapped in errors.ts.
 */
import OpenAI from 'openai';
import type { z } from 'zod';
import { VendorError, type ProviderSettings } from '../types.ts';
import { toOpenAIError } from './errors.ts';

export type OpenAISettings = ProviderSettings;

export class OpenAIApi {
  readonly sdk: OpenAI;
  readonly host: string;

  constructor(settings: OpenAISettings) {
    this.sdk = new OpenAI({ apiKey: settings.apiKey, baseURL: settings.baseURL ?? null, maxRetries: settings.maxRetries ?? 5, timeout: settings.timeoutMs ?? 60_000 });
    this.host = new URL(this.sdk.baseURL).host;
  }

  /** Runs one SDK call and parses its result; errors become VendorError / OpenAIRequestError. */
  async call<T>(what: string, request: () => Promise<unknown>, schema: z.ZodType<T>): Promise<T> {
    let result: unknown;
    try {
      result = await request();
    } catch (error) {
      throw toOpenAIError(error, what, this.host);
    }
    const parsed = schema.safeParse(result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new VendorError('malformed', `OpenAI's answer to ${what} did not have the documented shape (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`);
    }
    return parsed.data;
  }
}
