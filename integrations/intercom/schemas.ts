/**
 * Raw Intercom shapes (REST API 2.14, https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations):
 * only the fields tuneloop reads, strict where we depend on a field and lenient (nullish) where
 * Intercom may leave it out. Every answer is parsed with these before anything else touches it.
 * The official SDK (intercom-client) declares the same objects as TypeScript types without
 * checking them at run time; these schemas are checked.
 */
import { z } from 'zod';

const UnixSeconds = z.number().int().nonnegative();
const Id = z.union([z.string().min(1), z.number().int().transform(String)]);

/** Who wrote a part: "user" or "lead" (contacts), "admin" (teammates), "bot" (Fin, workflows), "team". */
export const IntercomAuthor = z.object({
  type: z.string(),
  id: Id.nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
});
export type IntercomAuthor = z.infer<typeof IntercomAuthor>;

/** https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/conversation (part attachments) */
const Attachment = z.object({ name: z.string().nullish(), url: z.string().nullish(), content_type: z.string().nullish(), filesize: z.number().nullish() }).loose();

export const IntercomPart = z.object({
  id: Id,
  part_type: z.string(),
  body: z.string().nullish(),
  created_at: UnixSeconds,
  author: IntercomAuthor.nullish(),
  attachments: z.array(Attachment).nullish(),
  redacted: z.boolean().nullish(),
});
export type IntercomPart = z.infer<typeof IntercomPart>;

export const IntercomSource = z.object({
  type: z.string().nullish(),
  id: Id,
  delivered_as: z.string().nullish(),
  subject: z.string().nullish(),
  body: z.string().nullish(),
  author: IntercomAuthor.nullish(),
  attachments: z.array(Attachment).nullish(),
  redacted: z.boolean().nullish(),
});

const Tag = z.object({ id: Id, name: z.string() }).loose();

/** A conversation as search lists it (no parts) or as GET /conversations/{id} returns it (parts). */
export const IntercomConversation = z.object({
  type: z.literal('conversation'),
  id: Id,
  title: z.string().nullish(),
  created_at: UnixSeconds,
  updated_at: UnixSeconds,
  state: z.string().nullish(),
  open: z.boolean().nullish(),
  priority: z.string().nullish(),
  admin_assignee_id: Id.nullish(),
  tags: z.object({ tags: z.array(Tag) }).nullish(),
  source: IntercomSource.nullish(),
  contacts: z.object({ contacts: z.array(z.object({ id: Id }).loose()) }).nullish(),
  custom_attributes: z.record(z.string(), z.unknown()).nullish(),
  conversation_parts: z.object({ conversation_parts: z.array(IntercomPart), total_count: z.number().int().nullish() }).nullish(),
});
export type IntercomConversation = z.infer<typeof IntercomConversation>;

/** POST /conversations/search */
export const SearchPage = z.object({
  type: z.literal('conversation.list'),
  conversations: z.array(IntercomConversation),
  total_count: z.number().int().nullish(),
  pages: z
    .object({
      page: z.number().int().nullish(),
      per_page: z.number().int().nullish(),
      total_pages: z.number().int().nullish(),
      next: z.object({ starting_after: z.string().nullish() }).nullish(),
    })
    .nullish(),
});
export type SearchPage = z.infer<typeof SearchPage>;

/** GET /me: the admin the token acts for. */
export const Me = z.object({ type: z.literal('admin'), id: Id, name: z.string().nullish(), email: z.string().nullish(), app: z.object({ id_code: z.string().nullish(), name: z.string().nullish() }).loose().nullish() });

/** POST /tags, POST /conversations/{id}/tags */
export const TagAnswer = z.object({ type: z.literal('tag'), id: Id, name: z.string() });

/** Intercom's error body: {"type":"error.list","request_id":"…","errors":[{"code":"…","message":"…"}]}. */
export const ErrorBody = z.object({
  type: z.literal('error.list'),
  request_id: z.string().nullish(),
  errors: z.array(z.object({ code: z.string(), message: z.string().nullish() })).min(1),
});
