/**
 * /api/v1/alerts: compliance alerts. List (filters: status, severity, policy), show, and decide:
 * `POST /:id/transitions {to, note}`. A transition the state machine does not allow is a 409 and
 * changes nothing; every allowed one is audited with the token as actor.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { getAlert, listAlerts, transitionAlert, TransitionError, type Alert } from '../../serving/compliance/alerts/alerts.ts';
import { ALERT_STATUSES } from '../../serving/compliance/alerts/transitions.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { validate } from '../validate.ts';

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
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get(
    '/',
    requireRole('compliance'),
    validate(
      'query',
      z.object({
        status: status.optional(),
        severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
        policy: z.string().max(80).optional(),
        conversationId: z.coerce.number().int().positive().optional(),
        before: z.iso.datetime({ offset: true }).optional(),
        limit: z.coerce.number().int().min(1).max(500).optional(),
      }),
    ),
    async (c) => {
      const query = c.req.valid('query');
      const alerts = await listAlerts(db, { ...query, policyId: query.policy, before: query.before ? new Date(query.before) : undefined });
      return c.json({ data: alerts.map(publicAlert) });
    },
  );

  app.get('/:id', requireRole('compliance'), validate('param', params), async (c) => {
    const alert = await getAlert(db, c.req.valid('param').id);
    if (!alert) throw new ApiError(404, 'not_found', 'no such alert');
    return c.json(publicAlert(alert));
  });

  app.post('/:id/transitions', requireRole('compliance'), validate('param', params), validate('json', z.object({ to: status, note: z.string().trim().max(2000).optional() }).strict()), async (c) => {
    const body = c.req.valid('json');
    try {
      const alert = await transitionAlert(db, deps.queue, c.req.valid('param').id, { to: body.to, note: body.note ?? null, actor: c.get('actor') });
      if (!alert) throw new ApiError(404, 'not_found', 'no such alert');
      return c.json(publicAlert(alert));
    } catch (error) {
      if (error instanceof TransitionError) throw new ApiError(409, 'invalid_transition', error.message);
      throw error;
    }
  });

  return app;
}
