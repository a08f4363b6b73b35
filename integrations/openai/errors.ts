/**
 * Turns what an OpenAI call ended with into an error a person can act on: a VendorError for auth,
 * limits, outages and network trouble, an OpenAIRequestError when OpenAI refused the request itself
 * (400/422: retrying the same request cannot help). Messages never contain the API key.
 * https://platform.openai.com/docs/guides/error-codes#api-errors
 */
import OpenAI from 'openai';
import { ProviderRequestError, VendorError } from '../types.ts';

/** OpenAI refused what we asked (bad model, bad file, bad hyperparameters): `code`/`param` as OpenAI sent them. */
export class OpenAIRequestError extends ProviderRequestError {
  override name = 'OpenAIRequestError';
}

function says(error: InstanceType<typeof OpenAI.APIError>): string {
  const message = typeof error.error === 'object' && error.error && 'message' in error.error ? String(error.error.message) : '';
  return message ? ` OpenAI said: "${message.slice(0, 300)}".` : '';
}

export function toOpenAIError(error: unknown, what: string, host: string): Error {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new VendorError('transient', `OpenAI did not answer in time when trying to ${what} on ${host}; will retry`, { cause: error });
  if (error instanceof OpenAI.APIConnectionError) return new VendorError('network', `could not reach OpenAI at ${host} to ${what}: ${error.message}`, { cause: error });
  if (!(error instanceof OpenAI.APIError)) return error instanceof Error ? error : new Error(String(error));
  const status = error.status ?? 0;
  const said = says(error);
  if (status === 401) return new VendorError('auth', `OpenAI rejected the API key (401) at ${host}: check OPENAI_API_KEY.${said}`, { status });
  if (status === 403) return new VendorError('forbidden', `the API key may not ${what} (403) at ${host}.${said}`, { status });
  if (status === 404) return new VendorError('not_found', `not found (404) when trying to ${what} at ${host}.${said}`, { status });
  if (status === 429) {
    const header = error.headers?.get('retry-after');
    const seconds = header ? Number(header) : Number.NaN;
    return new VendorError('rate_limited', `OpenAI rate limit reached (429) when trying to ${what}, after the client's own retries.${said}`, { status, retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : null });
  }
  if (status >= 500 || status === 408 || status === 409) return new VendorError('transient', `OpenAI is unavailable (${status}) when trying to ${what}; will retry.${said}`, { status });
  const code = typeof error.code === 'string' ? error.code : null;
  const param = typeof error.param === 'string' ? error.param : null;
  return new OpenAIRequestError(`OpenAI refused to ${what} (${status}).${said}`, status, code, param);
}
