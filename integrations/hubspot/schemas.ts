/**
 * Raw HubSpot shapes (https://developers.hubspot.com/docs/api/overview): only the fields tuneloop reads, strict
 * where we depend on a field and lenient (nullish) where HubSpot may leave it out. Every answer is
 * parsed with these before anything else touches it; the SDK's own models are not trusted, because
 * its deserializer silently drops unknown fields and leaves missing ones undefined.
 */
import { z } from 'zod';

const Timestamp = z.iso.datetime({ offset: true });

const Paging = z.object({ next: z.object({ after: z.string().min(1), link: z.string().nullish() }).nullish() }).nullish();

/** https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-thread/get-conversations-v3-conversations-threads */
export const HubSpotThread = z.object({
  id: z.string().min(1),
  createdAt: Timestamp,
  status: z.string(),
  closedAt: Timestamp.nullish(),
  inboxId: z.string().nullish(),
  associatedContactId: z.string().nullish(),
  assignedTo: z.string().nullish(),
  originalChannelId: z.string().nullish(),
  originalChannelAccountId: z.string().nullish(),
  latestMessageTimestamp: Timestamp.nullish(),
  archived: z.boolean().nullish(),
  spam: z.boolean().nullish(),
  threadAssociations: z.object({ associatedTicketId: z.string().nullish() }).nullish(),
});
export type HubSpotThread = z.infer<typeof HubSpotThread>;

export const ThreadsPage = z.object({ results: z.array(HubSpotThread), paging: Paging });

const DeliveryIdentifier = z.object({ type: z.string(), value: z.string() });
export const HubSpotSender = z.object({ actorId: z.string().nullish(), name: z.string().nullish(), deliveryIdentifier: DeliveryIdentifier.nullish() });
export type HubSpotSender = z.infer<typeof HubSpotSender>;

/**
 * One item of a thread's history. HubSpot's list is a oneOf discriminated by `type` (MESSAGE,
 * COMMENT, WELCOME_MESSAGE, ASSIGNMENT, THREAD_STATUS_CHANGE, THREAD_INBOX_CHANGE); all share id,
 * createdAt and createdBy, so one lenient shape reads them all and types added later are skipped
 * by the mapping instead of failing the harvest.
 */
export const HubSpotMessage = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  createdAt: Timestamp,
  createdBy: z.string().min(1),
  text: z.string().nullish(),
  richText: z.string().nullish(),
  subject: z.string().nullish(),
  direction: z.enum(['INCOMING', 'OUTGOING']).nullish(),
  truncationStatus: z.string().nullish(),
  senders: z.array(HubSpotSender).nullish(),
  attachments: z.array(z.looseObject({ type: z.string(), name: z.string().nullish(), fileId: z.string().nullish() })).nullish(),
  archived: z.boolean().nullish(),
});
export type HubSpotMessage = z.infer<typeof HubSpotMessage>;

export const MessagesPage = z.object({ results: z.array(HubSpotMessage), paging: Paging });

export const OriginalContent = z.object({ text: z.string().nullish(), richText: z.string().nullish() });

export const HubSpotActor = z.object({ id: z.string().min(1), type: z.string(), name: z.string().nullish(), email: z.string().nullish() });
export type HubSpotActor = z.infer<typeof HubSpotActor>;

/** 200 COMPLETE, or 207 with `errors` for ids HubSpot could not find. */
export const ActorsBatch = z.object({ status: z.string(), results: z.array(HubSpotActor) });

const AssociationList = z.object({ results: z.array(z.object({ id: z.string().min(1), type: z.string() })), paging: Paging });

/** https://developers.hubspot.com/docs/api/crm/understanding-the-crm: every property value is a string. */
export const CrmObject = z.object({
  id: z.string().min(1),
  properties: z.record(z.string(), z.string().nullable()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  archived: z.boolean().nullish(),
  associations: z.record(z.string(), AssociationList).nullish(),
});
export type CrmObject = z.infer<typeof CrmObject>;

export const SearchPage = z.object({ total: z.number().int(), results: z.array(CrmObject), paging: Paging });

export const BatchRead = z.object({ status: z.string(), results: z.array(CrmObject) });

/** https://developers.hubspot.com/docs/api-reference/crm-associations-v4/batch/post-crm-v4-associations-fromObjectType-toObjectType-batch-read (200, or 207 with errors for ids it could not find) */
const AssociatedObject = z.object({ toObjectId: z.union([z.string().min(1), z.number().int().transform(String)]), associationTypes: z.array(z.object({ category: z.string().nullish(), typeId: z.number().int().nullish(), label: z.string().nullish() })).nullish() });
export const AssociationsBatch = z.object({
  status: z.string(),
  results: z.array(z.object({ from: z.object({ id: z.union([z.string().min(1), z.number().int().transform(String)]) }), to: z.array(AssociatedObject), paging: Paging })),
  /** Ids HubSpot could not find (deleted since they were listed) come back here, not in results. */
  errors: z.array(z.object({ category: z.string().nullish(), context: z.record(z.string(), z.array(z.string())).nullish() }).loose()).nullish(),
});
/** GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType} */
export const AssociationsPage = z.object({ results: z.array(AssociatedObject), paging: Paging });

/** https://developers.hubspot.com/docs/api/crm/pipelines: a ticket stage's metadata says whether it closes the ticket. */
export const PipelinesList = z.object({
  results: z.array(
    z.object({
      id: z.string().min(1),
      label: z.string().nullish(),
      stages: z.array(z.object({ id: z.string().min(1), label: z.string().nullish(), metadata: z.object({ ticketState: z.string().nullish() }).loose().nullish() })),
    }),
  ),
});

export const Owner = z.object({ id: z.string().min(1), email: z.string().nullish(), firstName: z.string().nullish(), lastName: z.string().nullish() });
export type Owner = z.infer<typeof Owner>;
export const OwnersPage = z.object({ results: z.array(Owner), paging: Paging });

/** https://developers.hubspot.com/docs/api/oauth/tokens */
export const TokenResponse = z.object({ access_token: z.string().min(1), refresh_token: z.string().nullish(), expires_in: z.number().nullish() });
export const OAuthTokenInfo = z.object({ hub_id: z.number().int(), scopes: z.array(z.string()), hub_domain: z.string().nullish() });
export const PrivateAppTokenInfo = z.object({ hubId: z.number().int(), scopes: z.array(z.string()) });

/** HubSpot's error bodies: API errors, 429 policy bodies, and the OAuth endpoint's { status: "BAD_…" }. */
export const HubSpotErrorBody = z.object({
  status: z.string().nullish(),
  message: z.string().nullish(),
  category: z.string().nullish(),
  policyName: z.string().nullish(),
  correlationId: z.string().nullish(),
  errors: z.array(z.object({ message: z.string().nullish(), context: z.record(z.string(), z.array(z.string())).nullish() })).nullish(),
  context: z.record(z.string(), z.array(z.string())).nullish(),
});
export type HubSpotErrorBody = z.infer<typeof HubSpotErrorBody>;
