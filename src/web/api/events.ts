/**
 * /api/v1/event-subscriptions: outgoing signed webhooks. POST returns the signing secret once; no
 * other response carries it. `GET /:id/deliveries` shows each delivery's attempts and last error.
 */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { createSubscription, getSubscription, listDeliveries, listSubscriptions, NewSubscription, publicDelivery, publicSubscription, removeSubscription } from '../../events/subscriptions.ts';
import { EventUrlError } from '../../events/url-guard.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound } from '../openapi.ts';
import { decodeCursor, PageQuery, pageDescription, toPage } from '../pagination.ts';

const params = z.object({ id: z.uuid({ error: 'must be a subscription id (uuid)' }) });

export function eventSubscriptionRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  app.openapi(
    apiRoute('admin', {
      method: 'post',
      path: '/',
      tags: ['event-subscriptions'],
      summary: 'Subscribe a URL to signed event webhooks',
      request: { body: jsonBody(NewSubscription) },
      responses: { 201: { description: 'the subscription and, once, its signing secret' } },
    }),
    async (c) => {
      try {
        const { subscription, secret } = await createSubscription(db, deps.keyring, c.req.valid('json'), { actor: c.get('actor'), allowPrivate: deps.config.EVENTS_ALLOW_PRIVATE_URLS });
        return c.json({ ...publicSubscription(subscription), secret }, 201);
      } catch (error) {
        if (error instanceof EventUrlError) throw new ApiError(400, 'invalid_request', error.message);
        throw error;
      }
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/',
      tags: ['event-subscriptions'],
      summary: 'List event subscriptions',
      responses: { 200: { description: 'the subscriptions' } },
    }),
    async (c) => c.json({ data: (await listSubscriptions(db)).map(publicSubscription) }),
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}',
      tags: ['event-subscriptions'],
      summary: 'Show an event subscription',
      request: { params },
      responses: { 200: { description: 'the subscription' }, ...notFound('event subscription') },
    }),
    async (c) => {
      const subscription = await getSubscription(db, c.req.valid('param').id);
      if (!subscription) throw new ApiError(404, 'not_found', 'no such event subscription');
      return c.json(publicSubscription(subscription));
    },
  );

  app.openapi(
    apiRoute('admin', {
      method: 'delete',
      path: '/{id}',
      tags: ['event-subscriptions'],
      summary: 'Delete an event subscription',
      request: { params },
      responses: { 200: { description: 'the deleted id' }, ...notFound('event subscription') },
    }),
    async (c) => {
      if (!(await removeSubscription(db, c.req.valid('param').id, c.get('actor')))) throw new ApiError(404, 'not_found', 'no such event subscription');
      return c.json({ id: c.req.valid('param').id, deleted: true });
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}/deliveries',
      tags: ['event-subscriptions'],
      summary: "List a subscription's recent deliveries",
      request: { params, query: PageQuery },
      responses: { 200: { description: pageDescription('deliveries, newest first') }, ...notFound('event subscription') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { cursor, limit } = c.req.valid('query');
      if (!(await getSubscription(db, id))) throw new ApiError(404, 'not_found', 'no such event subscription');
      const afterId = cursor ? String(decodeCursor(cursor, z.uuid())) : undefined;
      return c.json(toPage(await listDeliveries(db, id, limit + 1, afterId), limit, (delivery) => delivery.id, publicDelivery));
    },
  );

  return app;
}
