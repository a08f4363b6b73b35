/**
 * Reads a Web API call's arguments the ways Slack accepts them
 * (https://docs.slack.dev/apis/web-api/#basics): GET query strings, POST bodies as
 * application/x-www-form-urlencoded or multipart/form-data, a mix of query and POST arguments, and
 * JSON bodies for the write methods that take them. A JSON body's token is ignored: with JSON the
 * token must travel in the Authorization header
 * (https://docs.slack.dev/changelog/2017-10-keeping-up-with-the-jsons).
 * Unlike Slack, the sandbox never looks at a token in a JSON body, so a test cannot pass by accident.
 */
import type { Context } from 'hono';

export type Params = Record<string, unknown>;

export type ParsedCall =
  | { ok: true; params: Params; token: string | null; json: boolean; warnings: string[] }
  | { ok: false; error: string };

function fromPairs(pairs: Iterable<[string, string]>, into: Params): void {
  for (const [key, value] of pairs) into[key] = value;
}

export async function readCall(c: Context, acceptsJson: boolean): Promise<ParsedCall> {
  const params: Params = {};
  const url = new URL(c.req.url);
  fromPairs(url.searchParams.entries(), params);
  const warnings: string[] = [];
  let json = false;

  if (c.req.method === 'POST') {
    const contentType = c.req.header('content-type') ?? '';
    const [mediaType = '', ...attributes] = contentType.split(';').map((part) => part.trim().toLowerCase());
    const charset = attributes.find((part) => part.startsWith('charset='))?.slice('charset='.length);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'iso-8859-1') return { ok: false, error: 'invalid_charset' };
    if (mediaType === 'multipart/form-data') {
      const form = await c.req.formData().catch(() => null);
      if (!form) return { ok: false, error: 'invalid_form_data' };
      for (const [key, value] of form.entries()) if (typeof value === 'string') params[key] = value;
      return finish(c, params, false, warnings);
    }
    const text = await c.req.text();
    if (mediaType === 'application/x-www-form-urlencoded') {
      if (charset !== undefined) warnings.push('superfluous_charset');
      fromPairs(new URLSearchParams(text).entries(), params);
    } else if (mediaType === 'application/json') {
      if (charset === undefined) warnings.push('missing_charset');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { ok: false, error: 'invalid_json' };
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'json_not_object' };
      json = true;
      // Methods that take no JSON see no arguments at all, as on Slack.
      if (acceptsJson) for (const [key, value] of Object.entries(body)) if (key !== 'token') params[key] = value;
    } else if (text.length > 0) {
      return { ok: false, error: mediaType ? 'invalid_post_type' : 'missing_post_type' };
    }
  }
  return finish(c, params, json, warnings);
}

/** The token: the Authorization header's bearer token, else a `token` argument (never from JSON). */
function finish(c: Context, params: Params, json: boolean, warnings: string[]): ParsedCall {
  const header = c.req.header('authorization');
  const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;
  const paramToken = !json && typeof params.token === 'string' && params.token.length > 0 ? params.token : null;
  delete params.token;
  return { ok: true, params, token: bearer ?? paramToken, json, warnings };
}

/** A string argument; numbers and booleans from JSON bodies are turned into their text. */
export function stringArg(params: Params, name: string): string | null {
  const value = params[name];
  if (typeof value === 'string') return value.length > 0 ? value : null;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

export function booleanArg(params: Params, name: string): boolean {
  const value = params[name];
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** A JSON argument: form bodies carry it as a JSON string, JSON bodies as the value itself. */
export function jsonArg(params: Params, name: string): { present: boolean; value: unknown; invalid: boolean } {
  const value = params[name];
  if (value === undefined || value === null || value === '') return { present: false, value: undefined, invalid: false };
  if (typeof value !== 'string') return { present: true, value, invalid: false };
  try {
    return { present: true, value: JSON.parse(value), invalid: false };
  } catch {
    return { present: true, value: undefined, invalid: true };
  }
}
