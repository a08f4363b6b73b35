/**
 * zod schemas for what Salesforce's REST API returns to tuneloop: query pages, the Case,
 * EmailMessage and CaseComment fields the harvest selects, limits and identity. Raw types stay
 * apart from the normalized Conversation (map.ts).
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm
 */
import { z } from 'zod';

export const SfId = z.string().regex(/^[a-zA-Z0-9]{18}$/, 'an 18-character Salesforce id');

/** "2025-01-06T08:00:00.000+0000": Salesforce writes the offset without a colon. */
export const SfDateTime = z.string().transform((value, ctx) => {
  const date = new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: `not a Salesforce datetime: ${value.slice(0, 40)}` });
    return z.NEVER;
  }
  return date;
});

export const QueryPage = z.object({
  totalSize: z.number().int().nonnegative(),
  done: z.boolean(),
  nextRecordsUrl: z.string().startsWith('/services/data/').optional(),
  records: z.array(z.unknown()),
});

const RelatedPerson = z.object({ Name: z.string().nullable(), Email: z.string().nullable().optional() }).nullable();
const Creator = z.object({ Name: z.string().nullable(), Email: z.string().nullable(), UserType: z.string().nullable() }).nullable();

export const CASE_FIELDS = [
  'Id', 'CaseNumber', 'Subject', 'Description', 'Status', 'Priority', 'Origin', 'Type', 'Reason', 'IsClosed', 'IsDeleted',
  'ContactId', 'Contact.Name', 'Contact.Email', 'SuppliedName', 'SuppliedEmail', 'AccountId',
  'OwnerId', 'Owner.Name', 'Owner.Email', 'CreatedDate', 'SystemModstamp',
] as const;

/** A parent-to-child subquery's result inside a parent record: null when there are no children. */
export const ChildQueryResult = z
  .object({ totalSize: z.number().int().nonnegative(), done: z.boolean(), nextRecordsUrl: z.string().startsWith('/services/data/').optional(), records: z.array(z.unknown()) })
  .nullable();

export const RawCase = z.object({
  Id: SfId,
  CaseNumber: z.string(),
  Subject: z.string().nullable(),
  Description: z.string().nullable(),
  Status: z.string().nullable(),
  Priority: z.string().nullable(),
  Origin: z.string().nullable(),
  Type: z.string().nullable(),
  Reason: z.string().nullable(),
  IsClosed: z.boolean(),
  IsDeleted: z.boolean(),
  ContactId: SfId.nullable(),
  Contact: RelatedPerson,
  SuppliedName: z.string().nullable(),
  SuppliedEmail: z.string().nullable(),
  AccountId: SfId.nullable(),
  OwnerId: SfId,
  Owner: RelatedPerson,
  CreatedDate: SfDateTime,
  SystemModstamp: SfDateTime,
});
export type RawCase = z.infer<typeof RawCase>;

export const EMAIL_FIELDS = [
  'Id', 'ParentId', 'Incoming', 'FromName', 'FromAddress', 'ToAddress', 'Subject', 'TextBody', 'HtmlBody',
  'MessageDate', 'Status', 'HasAttachment', 'CreatedDate', 'CreatedById', 'CreatedBy.Name', 'CreatedBy.Email', 'CreatedBy.UserType',
] as const;

export const RawEmailMessage = z.object({
  Id: SfId,
  ParentId: SfId,
  Incoming: z.boolean(),
  FromName: z.string().nullable(),
  FromAddress: z.string().nullable(),
  ToAddress: z.string().nullable(),
  Subject: z.string().nullable(),
  TextBody: z.string().nullable(),
  HtmlBody: z.string().nullable(),
  MessageDate: SfDateTime.nullable(),
  Status: z.string().nullable(),
  HasAttachment: z.boolean(),
  CreatedDate: SfDateTime,
  CreatedById: SfId,
  CreatedBy: Creator,
});
export type RawEmailMessage = z.infer<typeof RawEmailMessage>;

export const COMMENT_FIELDS = ['Id', 'ParentId', 'CommentBody', 'IsPublished', 'CreatedDate', 'CreatedById', 'CreatedBy.Name', 'CreatedBy.Email', 'CreatedBy.UserType'] as const;

export const RawCaseComment = z.object({
  Id: SfId,
  ParentId: SfId,
  CommentBody: z.string().nullable(),
  IsPublished: z.boolean(),
  CreatedDate: SfDateTime,
  CreatedById: SfId,
  CreatedBy: Creator,
});
export type RawCaseComment = z.infer<typeof RawCaseComment>;

/** A changed child's parent, for the scans of EmailMessage and CaseComment by their own SystemModstamp. */
export const ChangedChild = z.object({ Id: SfId, ParentId: SfId, SystemModstamp: SfDateTime });

// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm
export const CompositeAnswer = z.object({
  compositeResponse: z.array(z.object({ body: z.unknown(), httpStatusCode: z.number().int(), referenceId: z.string() })),
});

// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm
export const Limits = z.object({ DailyApiRequests: z.object({ Max: z.number().int(), Remaining: z.number().int() }) });

// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_discoveryresource.htm
export const Resources = z.object({ identity: z.url() });

// https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_openid.htm&type=5
export const Identity = z.object({ user_id: SfId, organization_id: SfId, username: z.string(), display_name: z.string().nullable().optional() });

// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
export const ErrorBody = z.array(z.object({ errorCode: z.string(), message: z.string() })).min(1);
