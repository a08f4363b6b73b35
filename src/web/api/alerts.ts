/**
 * /api/v1/alerts: compliance alerts. List (filters: status, severity, policy), show, and decide:
 * `POST /:id/transitions {to, note}`. A transition the state machine does not allow is a 409 and
 * changes nothing; every allowed one is audited with the token as actor.
 */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { getAlert, listAlerts, transitionAlert, TransitionError, type Alert } from '../../serving/compliance/alerts/alerts.ts';
import { ALERT_STATUSES } from '../../serving/compliance/alerts/transitions.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound, errorResponse } from '../openapi.ts';
import { decodeCursor, PageQuery, pageDescription, toPage } from '../pagination.ts';

export function publicAlert(alert: Alert) {
  return {
    id: alert.id,
    status: alert.status,
    severity: alert.severity,
    policy: { id: alert.policyId, version: alert.policyVersion },
    messageId: alert.messageId,
    conversationId: alert.conversationId,
    evidence: alert.evidence,
    transitions: alert.transitions,
    slack: alert.slackTs ? { channel: alert.slackChannel, ts: alert.slackTs } : null,
    salesforceTaskId: alert.salesforceTaskId,
    createdAt: alert.createdAt,
    updatedAt: alert.updatedAt,
  };
}

const status = z.enum(ALERT_STATUSES as [string, ...string[]]).transform((value) => value as Alert['status']);
const params = z.object({ id: z.uuid({ error: 'must be an alert id (uuid)' }) });

export function alertRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  app.openapi(
    apiRoute('compliance', {
      method: 'get',
      path: '/',
      tags: ['alerts'],
      summary: 'List compliance alerts (filters: status, severity, policy, conversation)',
      request: {
        query: PageQuery.extend({
          status: status.optional(),
          severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
          policy: z.string().max(80).optional(),
          conversationId: z.coerce.number().int().positive().optional(),
          before: z.iso.datetime({ offset: true }).optional().meta({ description: 'only alerts created before this instant' }),
        }),
      },
      responses: { 200: { description: pageDescription('alerts, newest first') } },
    }),
    async (c) => {
      const { cursor, limit, ...query } = c.req.valid('query');
      const afterId = cursor ? String(decodeCursor(cursor, z.uuid())) : undefined;
      const alerts = await listAlerts(db, { ...query, policyId: query.policy, before: query.before ? new Date(query.before) : undefined, afterId, limit: limit + 1 });
      return c.json(toPage(alerts, limit, (alert) => alert.id, publicAlert));
    },
  );

  app.openapi(
    apiRoute('compliance', {
      method: 'get',
      path: '/{id}',
      tags: ['alerts'],
      summary: 'Show one alert with its evidence and transitions',
      request: { params },
      responses: { 200: { description: 'the alert' }, ...notFound('alert') },
    }),
    async (c) => {
      const alert = await getAlert(db, c.req.valid('param').id);
      if (!alert) throw new ApiError(404, 'not_found', 'no such alert');
      return c.json(publicAlert(alert));
    },
  );

  app.openapi(
    apiRoute('compliance', {
      method: 'post',
      path: '/{id}/transitions',
      tags: ['alerts'],
      summary: 'Act on an alert: acknowledge, escalate, resolve, mark false positive',
      request: { params, body: jsonBody(z.object({ to: status, note: z.string().trim().max(2000).optional() }).strict()) },
      responses: { 200: { description: 'the alert after the transition (audited)' }, ...notFound('alert'), 409: errorResponse('conflicts with the current state; nothing changed') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      try {
        const alert = await transitionAlert(db, deps.queue, c.req.valid('param').id, { to: body.to, note: body.note ?? null, actor: c.get('actor') });
        if (!alert) throw new ApiError(404, 'not_found', 'no such alert');
        return c.json(publicAlert(alert));
      } catch (error) {
        if (error instanceof TransitionError) throw new ApiError(409, 'invalid_transition', error.message);
        throw error;
      }
    },
  );

  return app;
}
