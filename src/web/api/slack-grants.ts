/** /api/v1/slack/grants — who has which role in the Slack app (beside SLACK_GRANTS). */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { grant, GrantInputError, GRANTABLE_ROLES, listGrants, revoke } from '../../slack/permissions.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { validate } from '../validate.ts';

const GrantBody = z.object({ subject: z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'a Slack user id (U…, W…) or user group id (S…)'), role: z.enum(GRANTABLE_ROLES as [string, ...string[]]) }).strict();

export function slackGrantRoutes(deps: AppDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();
  const { db } = deps.database;

  app.get('/', requireRole('admin'), async (c) => c.json({ object: 'list', data: await listGrants(db, deps.config) }));

  app.post('/', requireRole('admin'), validate('json', GrantBody), async (c) => {
    const body = c.req.valid('json');
    try {
      await grant(db, body.subject, body.role, c.get('actor'));
    } catch (error) {
      if (error instanceof GrantInputError) throw new ApiError(400, 'invalid_request', error.message);
      throw error;
    }
    return c.json({ subject: body.subject, role: body.role, source: 'granted' }, 201);
  });

  app.delete('/:subject/:role', requireRole('admin'), async (c) => {
    const removed = await revoke(db, c.req.param('subject'), c.req.param('role'), c.get('actor'));
    return c.json({ removed });
  });
  return app;
}
