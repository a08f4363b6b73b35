/**
 * /api/v1/event-subscriptions: outgoing signed webhooks. POST returns the signing secret once; no
 * other response carries it. `GET /:id/deliveries` shows each delivery's attempts and last error.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { createSubscription, getSubscription, listDeliveries, listSubscriptions, NewSubscription, publicDelivery, publicSubscription, removeSubscription } from '../../events/subscriptions.ts';
import { EventUrlError } from '../../events/url-guard.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { validate } from '../validate.ts';

const params = z.object({ id: z.uuid({ error: 'must be a subscription id (uuid)' }) });

export function eventSubscriptionRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<{ Variables: AuthVariables }>();

  app.post('/', requireRole('admin'), validate('json', NewSubscription), async (c) => {
    try {
      const { subscription, secret } = await createSubscription(db, deps.keyring, c.req.valid('json'), { actor: c.get('actor'), allowPrivate: deps.config.EVENTS_ALLOW_PRIVATE_URLS });
      return c.json({ ...publicSubscription(subscription), secret }, 201);
    } catch (error) {
      if (error instanceof EventUrlError) throw new ApiError(400, 'invalid_request', error.message);
      throw error;
    }
  });

  app.get('/', requireRole('viewer'), async (c) => c.json({ data: (await listSubscriptions(db)).map(publicSubscription) }));

  app.get('/:id', requireRole('viewer'), validate('param', params), async (c) => {
    const subscription = await getSubscription(db, c.req.valid('param').id);
    if (!subscription) throw new ApiError(404, 'not_found', 'no such event subscription');
    return c.json(publicSubscription(subscription));
  });

  app.delete('/:id', requireRole('admin'), validate('param', params), async (c) => {
    if (!(await removeSubscription(db, c.req.valid('param').id, c.get('actor')))) throw new ApiError(404, 'not_found', 'no such event subscription');
    return c.json({ id: c.req.valid('param').id, deleted: true });
  });

  app.get('/:id/deliveries', requireRole('viewer'), validate('param', params), validate('query', z.object({ limit: z.coerce.number().int().min(1).max(500).optional() })), async (c) => {
    const { id } = c.req.valid('param');
    if (!(await getSubscription(db, id))) throw new ApiError(404, 'not_found', 'no such event subscription');
    return c.json({ data: (await listDeliveries(db, id, c.req.valid('query').limit)).map(publicDelivery) });
  });

  return app;
}
