/**
 * POST /services/data/vXX.X/composite: up to 25 subrequests in one call, answered together, and
 * counted as one call against the org's API limit
 * (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm).
 * The sandbox runs GET subrequests (query, queryAll and their locators, sObject rows) through its own
 * routes; each answer becomes { body, httpHeaders, httpStatusCode, referenceId }. With allOrNone a
 * failed subrequest fails the rest with PROCESSING_HALTED.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { salesforceError } from './query.ts';

const MAX_SUBREQUESTS = 25;

const CompositeBody = z.object({
  allOrNone: z.boolean().optional(),
  compositeRequest: z
    .array(z.object({ method: z.string(), url: z.string().startsWith('/services/data/'), referenceId: z.string().regex(/^[A-Za-z_]\w*$/), body: z.unknown().optional() }))
    .min(1)
    .max(MAX_SUBREQUESTS, `A composite request can contain at most ${MAX_SUBREQUESTS} subrequests`),
});

/** `subrequest(url, authorization)` answers one subrequest through the sandbox's routes without counting it as a call. */
export function compositeRoutes(subrequest: (url: string, authorization: string) => Promise<Response>): Hono {
  const app = new Hono({ strict: false });
  app.post('/:version/composite', async (c) => {
    const parsed = CompositeBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return salesforceError(c, 400, 'JSON_PARSER_ERROR', parsed.error.issues[0]?.message ?? 'invalid composite request');
    const authorization = c.req.header('Authorization') ?? '';
    const answers: unknown[] = [];
    let halted = false;
    for (const request of parsed.data.compositeRequest) {
      if (halted) {
        answers.push({ body: [{ errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.' }], httpHeaders: {}, httpStatusCode: 400, referenceId: request.referenceId });
        continue;
      }
      if (request.method !== 'GET') {
        answers.push({ body: [{ errorCode: 'METHOD_NOT_ALLOWED', message: 'The sandbox runs GET subrequests only' }], httpHeaders: {}, httpStatusCode: 405, referenceId: request.referenceId });
        halted = parsed.data.allOrNone === true;
        continue;
      }
      const response = await subrequest(request.url, authorization);
      const text = await response.text();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      answers.push({ body, httpHeaders: {}, httpStatusCode: response.status, referenceId: request.referenceId });
      if (response.status >= 400 && parsed.data.allOrNone) halted = true;
    }
    return c.json({ compositeResponse: answers });
  });
  return app;
}
