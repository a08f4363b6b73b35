/**
 * Error text that is safe to store and log. A failed query's error (drizzle's DrizzleQueryError)
 * carries every bound parameter in its message and a `params` field — ticket text, drafts,
 * personal data — so it is reduced to the statement's start and Postgres's own reason. Control
 * characters go too: a NUL in a job's error makes pg-boss's jsonb write fail, which leaves the job
 * "active" until it expires instead of retried.
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
const MAX_MESSAGE = 1_000;

interface QueryError extends Error {
  query: string;
  params: unknown[];
}

function isQueryError(error: unknown): error is QueryError {
  return error instanceof Error && 'query' in error && 'params' in error && typeof (error as QueryError).query === 'string';
}

/** Removes control characters except tab and newline. */
export function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL, '');
}

export function safeErrorMessage(error: unknown): string {
  let message: string;
  if (isQueryError(error)) {
    const statement = error.query.replace(/\s+/g, ' ').slice(0, 120);
    const reason = error.cause instanceof Error ? error.cause.message : 'no reason given';
    message = `query failed (${statement}…): ${reason}`;
  } else message = error instanceof Error ? error.message : String(error);
  return withoutControlCharacters(message).slice(0, MAX_MESSAGE);
}

/** pino's `err` serializer: the standard one, without query parameters, with a safe message. */
export function safeErrorSerializer(serialize: (error: Error) => Record<string, unknown>) {
  return (error: unknown): unknown => {
    if (!(error instanceof Error)) return error;
    const out = serialize(error);
    if (isQueryError(error)) {
      delete out.params;
      out.message = safeErrorMessage(error);
      out.stack = typeof out.stack === 'string' ? out.stack.replace(/^[\s\S]*?\n(\s+at )/, `${out.message}\n$1`) : out.stack;
    }
    return out;
  };
}
