/**
 * The REST API's OpenAPI declarations: each /api/v1 route is a `createRoute` (@hono/zod-openapi)
 * whose zod schemas both validate the request and describe it, with the role it needs attached as
 * the first middleware (requireRole) and named in the document (`x-required-role`).
 */
import { createRoute, OpenAPIHono, type Hook, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Role } from '../auth/roles.ts';
import { requireRole, type AuthVariables } from './auth.ts';
import { containsNul } from '../db/without-nul.ts';
import { errorBody } from './errors.ts';

type ApiEnv = { Variables: AuthVariables };

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'stable, machine-readable: invalid_request, unauthorized, forbidden, not_found, conflict, …' }),
      message: z.string().meta({ description: 'for people; never a stack trace' }),
      role: z.string().optional().meta({ description: 'on 403: the role the route needs' }),
    }),
  })
  .meta({ id: 'Error' });

export const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });

/** Every route can answer these; routes add their own (404, 409, …) beside them. */
const COMMON_ERRORS = {
  400: errorResponse('the request is invalid; the message names the first problem, and nothing changed'),
  401: errorResponse('missing, wrong, revoked or expired token; nothing changed'),
  403: errorResponse('the token lacks the role this route needs (named in `error.role`); the refusal is audited and nothing changed'),
} as const;

/** Validation failures in our error shape: the first problem, named by its path, as a 400 (as src/web/validate.ts). */
const invalidRequest: Hook<unknown, ApiEnv, string, Response | undefined> = (result, c) => {
  // PostgreSQL refuses U+0000 in text: said plainly, before any other problem with the same input.
  if (containsNul((result as { data?: unknown }).data)) return c.json(errorBody('invalid_request', `${result.target}: text must not contain the NUL character (U+0000)`), 400);
  if (result.success) return;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return c.json(errorBody('invalid_request', `${result.target} ${where}${issue?.message ?? 'invalid'}`), 400);
};

/** A sub-app for one resource; mount it with `.route()` so its declarations join the document. */
export function apiApp() {
  return new OpenAPIHono<ApiEnv>({ defaultHook: invalidRequest });
}

type ApiRouteConfig = Omit<RouteConfig, 'middleware' | 'security'> & { summary: string };

/**
 * createRoute with the role it needs: requireRole runs before any validator, so an under-privileged
 * caller learns nothing about the body it sent. `middleware` runs after the role check (e.g. bodyLimit).
 */
export function apiRoute<P extends string, R extends ApiRouteConfig & { path: P }>(role: Role, config: R, middleware: MiddlewareHandler<ApiEnv>[] = []) {
  return createRoute({
    ...config,
    description: [`Needs the \`${role}\` role.`, config.description].filter(Boolean).join(' '),
    security: [{ bearer: [] }],
    'x-required-role': role,
    middleware: [requireRole(role), ...middleware],
    responses: { ...COMMON_ERRORS, ...config.responses },
  });
}

/** `{id}` path parameter schema with a helpful message. */
export const uuidParam = (what: string) => z.object({ id: z.uuid({ error: `must be ${what} id (uuid)` }) });

/** A JSON request body that must be present and JSON. */
export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});

export const notFound = (what: string) => ({ 404: errorResponse(`no such ${what}`) });
export const conflict = (description: string) => ({ 409: errorResponse(description) });
export const unavailable = { 503: errorResponse('the job queue is not running') };

export const ok = (description: string) => ({ 200: { description } });
