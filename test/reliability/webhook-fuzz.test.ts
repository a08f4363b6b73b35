/**
 * Fuzzing the webhook endpoints with fast-check: 10,000 hostile inputs, correctly signed or not,
 * across Zendesk, HubSpot and Salesforce. Whatever arrives: zero 5xx, zero unhandled rejections,
 * and nothing stored for a request that was refused. (A signed Zendesk event whose `type` held
 * U+0000 used to be a 500, retried by Zendesk forever.)
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../support/sign.ts';
import { deliveryCount, hubspotRequest, salesforceRequest, startHub, webhookConnection, zendeskRequest, type Hub } from '../webhooks/helpers.ts';

/** Strings that break things: NUL and other controls, lone surrogates, long runs, SQL and JSON syntax. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\uD800', '\uDFFF', "'; DROP TABLE conversations; --", '{"', '\\', '%00', '\u202E', 'zen:event-type:ticket.created\u0000'),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((text) => `zen:event-type:${text}`),
  fc.nat({ max: 5_000 }).map((length) => 'x'.repeat(length)),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }));
const anyJson = fc.jsonValue({ maxDepth: 4 });

describe('webhook fuzzing', () => {
  let hub: Hub;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(async () => {
    hub = await startHub();
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await hub?.close();
  });

  const statuses = new Map<number, number>();
  const seen = (status: number) => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    return status < 500;
  };

  it('10,000 hostile deliveries: no 5xx, no unhandled rejection, nothing stored when refused', { timeout: 600_000 }, async () => {
    const zendesk = await webhookConnection(hub, 'zendesk');
    const hubspot = await webhookConnection(hub, 'hubspot');
    const salesforce = await webhookConnection(hub, 'salesforce');
    const unsigned = await webhookConnection(hub, 'zendesk');
    const post = async (vendor: string, id: string, init: RequestInit) => seen((await hub.app.request(`/webhooks/${vendor}/${id}`, init)).status);

    // 1. Signed Zendesk events of the right shape, hostile inside (these reach the database).
    await fc.assert(
      fc.asyncProperty(hostileString, fc.oneof(hostileString, fc.nat()), fc.option(hostileValue), async (type, id, event) => {
        const body = JSON.stringify({ type, detail: { id }, ...(event === null ? {} : { event: { comment: event } }) });
        return post('zendesk', zendesk.id, zendeskRequest(zendesk.secret, body));
      }),
      { numRuns: 1_500 },
    );
    // 2. Signed Zendesk bodies of any JSON, and signed bytes that are no JSON at all.
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson.map((value) => JSON.stringify(value)), hostileString), async (body) => post('zendesk', zendesk.id, zendeskRequest(zendesk.secret, body))),
      { numRuns: 2_500 },
    );
    // 3. Signed HubSpot batches with hostile fields.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ eventId: fc.oneof(fc.nat(), hostileString), subscriptionType: hostileString, objectId: fc.oneof(fc.nat(), hostileString), portalId: fc.oneof(fc.nat(), hostileValue), occurredAt: fc.oneof(fc.nat(), hostileValue), propertyName: hostileValue }, { requiredKeys: ['eventId', 'subscriptionType', 'objectId'] }), { maxLength: 5 }),
        async (events) => {
          const url = `http://localhost/webhooks/hubspot/${hubspot.id}`;
          return post('hubspot', hubspot.id, hubspotRequest(hubspot.secret, url, JSON.stringify(events)));
        },
      ),
      { numRuns: 1_500 },
    );
    // 4. Signed Salesforce bodies (HMAC and bearer) with hostile fields.
    await fc.assert(
      fc.asyncProperty(fc.record({ id: hostileValue, event: fc.oneof(fc.constantFrom('case.created', 'comment.added'), hostileString), timestamp: fc.oneof(fc.constant(new Date().toISOString()), hostileValue), commentId: hostileValue }), fc.boolean(), async (payload, bearer) =>
        post('salesforce', salesforce.id, salesforceRequest(salesforce.secret, JSON.stringify(payload), { bearer })),
      ),
      { numRuns: 1_500 },
    );
    // 5. Forged: wrong or mangled signatures, hostile headers, unknown connections. All refused, nothing stored.
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson.map((value) => JSON.stringify(value)), hostileString), fc.string({ maxLength: 60 }), fc.boolean(), async (body, signature, knownConnection) => {
        const timestamp = new Date().toISOString();
        const forged = signature.length % 2 ? sign.zendesk(`${unsigned.secret}x`, timestamp, body) : signature.replace(/[^\x20-\x7e]/g, '');
        const response = await hub.app.request(`/webhooks/zendesk/${knownConnection ? unsigned.id : randomUUID()}`, zendeskRequest(unsigned.secret, body, { timestamp, signature: forged }));
        seen(response.status);
        return response.status === 401 || response.status === 400;
      }),
      { numRuns: 3_000 },
    );

    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    expect([...statuses.values()].reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(10_000);
    expect(unhandled).toEqual([]);
    expect(await deliveryCount(hub, unsigned.id)).toBe(0);
    // Some of the hostile-but-well-formed ones were taken: the fuzzing reached the database.
    expect(await deliveryCount(hub, zendesk.id)).toBeGreaterThan(0);
  });
});
