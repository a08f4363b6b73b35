/** /api/v1/slack/grants — who has which role in the Slack app (beside SLACK_GRANTS). */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { grant, GrantInputError, GRANTABLE_ROLES, listGrants, revoke } from '../../slack/permissions.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound } from '../openapi.ts';

const GrantBody = z.object({ subject: z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'a Slack user id (U…, W…) or user group id (S…)'), role: z.enum(GRANTABLE_ROLES as [string, ...string[]]) }).strict();

export function slackGrantRoutes(deps: AppDeps) {
  const app = apiApp();
  const { db } = deps.database;

  app.openapi(
    apiRoute('admin', {
      method: 'get',
      path: '/',
      tags: ['slack-grants'],
      summary: 'List who has which role in the Slack app',
      responses: { 200: { description: 'the grants' } },
    }),
    async (c) => c.json({ object: 'list', data: await listGrants(db, deps.config) }),
  );

  app.openapi(
    apiRoute('admin', {
      method: 'post',
      path: '/',
      tags: ['slack-grants'],
      summary: 'Grant a Slack user or user group a role',
      request: { body: jsonBody(GrantBody) },
      responses: { 201: { description: 'the grant' } },
    }),
    async (c) => {
      const body = c.req.valid('json');
      try {
        await grant(db, body.subject, body.role, c.get('actor'));
      } catch (error) {
        if (error instanceof GrantInputError) throw new ApiError(400, 'invalid_request', error.message);
        throw error;
      }
      return c.json({ subject: body.subject, role: body.role, source: 'granted' }, 201);
    },
  );

  app.openapi(
    apiRoute('admin', {
      method: 'delete',
      path: '/{subject}/{role}',
      tags: ['slack-grants'],
      summary: 'Revoke a Slack grant',
      request: { params: z.object({ subject: z.string().min(1).max(200), role: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the revocation' }, ...notFound('grant') },
    }),
    async (c) => {
      const removed = await revoke(db, c.req.param('subject'), c.req.param('role'), c.get('actor'));
      return c.json({ removed });
    },
  );
  return app;
}
