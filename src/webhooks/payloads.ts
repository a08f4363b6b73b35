/**
 * What each vendor posts, parsed with zod AFTER the signature checked out, and turned into the
 * events we record: one per delivery id, each saying whether it should start drafting and triage.
 */
import { z } from 'zod';

export interface WebhookEvent {
  /** Unique per connection; the dedup key. */
  deliveryId: string;
  /** e.g. "ticket.created", "comment.added", "ticket.propertyChange". */
  event: string;
  /** The vendor's ticket/case/thread id, if any. */
  sourceId: string | null;
  /** true: enqueue draft.generate and triage.apply for sourceId. */
  actionable: boolean;
  /** Zendesk: the signature header, a second dedup key (see webhook_deliveries.signature). */
  signature?: string;
}

const vendorId = z.union([z.string().regex(/^[\w.:-]{1,200}$/), z.number().int().nonnegative()]).transform(String);

/**
 * Zendesk. Two shapes reach us:
 * - a trigger's "Notify webhook" action, whose JSON body we write ourselves in `tuneloop zendesk
 *   install` (integrations/zendesk/actions-webhooks.ts TRIGGER_BODY): {"tuneloop":1,"event":"ticket.end_user_update","ticket_id":"{{ticket.id}}"}
 * - an event subscription (https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/):
 *   {"type":"zen:event-type:ticket.created"|"zen:event-type:ticket.comment_added", "detail":{"id":"123"}, ...}
 * The delivery id is the X-Zendesk-Webhook-Invocation-Id header, the same across Zendesk's retries.
 */
const ZendeskTrigger = z.object({
  tuneloop: z.literal(1),
  event: z.enum(['ticket.end_user_update', 'ticket.created', 'comment.added']),
  ticket_id: vendorId,
  /** Makes two events on one ticket in the same second differ (and so their signatures). */
  updated_at: z.string().max(100).optional(),
});
const ZendeskEventSubscription = z.object({
  type: z.string().regex(/^zen:event-type:/),
  detail: z.object({ id: vendorId }),
});
export const ZendeskPayload = z.union([ZendeskTrigger, ZendeskEventSubscription]);

const ZENDESK_ACTIONABLE = new Set(['ticket.created', 'ticket.comment_added', 'comment.added']);

export function zendeskEvents(payload: z.infer<typeof ZendeskPayload>, invocationId: string, signature: string): WebhookEvent[] {
  if ('tuneloop' in payload) return [{ deliveryId: invocationId, event: payload.event, sourceId: payload.ticket_id, actionable: true, signature }];
  const event = payload.type.slice('zen:event-type:'.length);
  return [{ deliveryId: invocationId, event, sourceId: payload.detail.id, actionable: ZENDESK_ACTIONABLE.has(event), signature }];
}

/** An invocation id as Zendesk sends it (a ULID-like token); anything else is refused with 400. */
export const ZendeskInvocationId = z.string().regex(/^[\w-]{1,100}$/);

/**
 * HubSpot: a JSON array of up to 100 events (specs/hubspot/CONTRACT.md "Webhooks"); each has its own
 * eventId, so each is deduplicated on its own.
 */
const HubSpotEvent = z.object({
  eventId: vendorId,
  subscriptionId: z.number().int().optional(),
  portalId: z.number().int().optional(),
  occurredAt: z.number().int().optional(),
  subscriptionType: z.string().min(1).max(100),
  attemptNumber: z.number().int().optional(),
  objectId: vendorId,
  changeSource: z.string().optional(),
  messageType: z.string().optional(),
});
export const HubSpotPayload = z.array(HubSpotEvent).min(1).max(1000);

const HUBSPOT_ACTIONABLE = new Set(['ticket.creation', 'conversation.creation', 'conversation.newMessage']);

export function hubspotEvents(payload: z.infer<typeof HubSpotPayload>): WebhookEvent[] {
  return payload.map((event) => ({
    deliveryId: `hubspot:${event.eventId}`,
    event: event.subscriptionType,
    sourceId: event.objectId,
    // Internal notes (COMMENT) on a thread are our own agents talking, not the customer.
    actionable: HUBSPOT_ACTIONABLE.has(event.subscriptionType) && event.messageType !== 'COMMENT',
  }));
}

/**
 * Salesforce: the body our Flow/Apex callout sends (README "Webhooks"):
 * {"id":"500…","event":"case.created"|"comment.added","timestamp":"2026-11-25T15:00:00.000Z"}.
 * id + timestamp identify the delivery: a Flow retry re-sends both unchanged.
 */
export const SalesforcePayload = z.object({
  id: z.string().regex(/^[a-zA-Z0-9]{15,18}$/, 'a Salesforce record id'),
  event: z.enum(['case.created', 'comment.added', 'case.updated']),
  timestamp: z.iso.datetime({ offset: true }),
  commentId: z.string().regex(/^[a-zA-Z0-9]{15,18}$/).optional(),
});

export function salesforceEvents(payload: z.infer<typeof SalesforcePayload>): WebhookEvent[] {
  return [
    {
      deliveryId: `${payload.id}:${payload.commentId ?? ''}:${payload.timestamp}`,
      event: payload.event,
      sourceId: payload.id,
      actionable: payload.event !== 'case.updated',
    },
  ];
}
