/** OpenAI's error body (`{error: {message, type, param, code}}`), which the openai SDKs turn into their typed errors. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { GatewayError, type ErrorType } from '../../models/gateway/gateway.ts';

export function openaiError(c: Context, status: ContentfulStatusCode, type: ErrorType, code: string | null, message: string, param: string | null = null, headers: Record<string, string> = {}) {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json({ error: { message, type, param, code } }, status);
}

export function gatewayErrorResponse(c: Context, error: GatewayError) {
  return openaiError(c, error.status, error.type, error.code, error.message, error.param, error.headers);
}

/** Parses the JSON body; a body that is not JSON is the caller's 400, never a 500. */
export async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new GatewayError(400, 'invalid_request_error', 'invalid_json', 'the request body is not valid JSON');
  }
}
