/**
 * Raw Salesforce records → tuneloop's normalized Conversation. A Case is the conversation; its
 * EmailMessages are public messages (Incoming: the customer wrote it; outgoing from the Automated
 * Process user: an auto-reply, so a bot; otherwise an agent); its CaseComments are internal notes
 * unless published. A web or phone case's first message exists only as the Case Description.
 */
import type { Conversation, Message, Person } from '../types.ts';
import { htmlToText } from '../common/html-to-text.ts';
import type { RawCase, RawCaseComment, RawEmailMessage } from './raw.ts';

// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_user.htm (UserType)
const CUSTOMER_USER_TYPES = new Set(['CspLitePortal', 'CustomerSuccess', 'PowerCustomerSuccess', 'Guest']);

type Creator = RawEmailMessage['CreatedBy'];

function roleOfUser(userType: string | null | undefined): Message['authorRole'] {
  if (userType === 'AutomatedProcess') return 'bot';
  if (userType && CUSTOMER_USER_TYPES.has(userType)) return 'customer';
  return 'agent';
}

function userPerson(id: string, user: Creator, fallback: { name: string | null; email: string | null } = { name: null, email: null }): Person {
  return { id, name: user?.Name ?? fallback.name, email: user?.Email ?? fallback.email };
}

const sameText = (a: string, b: string) => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();

function requesterOf(raw: RawCase): Person | null {
  if (raw.ContactId) return { id: raw.ContactId, name: raw.Contact?.Name ?? raw.SuppliedName, email: raw.Contact?.Email ?? raw.SuppliedEmail };
  if (raw.SuppliedEmail) return { id: `supplied:${raw.SuppliedEmail.toLowerCase()}`, name: raw.SuppliedName, email: raw.SuppliedEmail };
  return null;
}

function emailMessage(email: RawEmailMessage, requester: Person | null): Message {
  const text = email.TextBody?.trim() ? email.TextBody : htmlToText(email.HtmlBody ?? '');
  let authorRole: Message['authorRole'];
  let author: Person | null;
  if (email.Incoming) {
    authorRole = 'customer';
    const fromRequester = requester?.email && email.FromAddress && requester.email.toLowerCase() === email.FromAddress.toLowerCase();
    author = fromRequester ? requester : { id: `email:${(email.FromAddress ?? email.Id).toLowerCase()}`, name: email.FromName, email: email.FromAddress };
  } else {
    authorRole = roleOfUser(email.CreatedBy?.UserType);
    author = authorRole === 'bot' ? null : userPerson(email.CreatedById, email.CreatedBy, { name: email.FromName, email: email.FromAddress });
  }
  return { sourceId: email.Id, authorRole, author, visibility: 'public', body: text.trim(), createdAt: email.MessageDate ?? email.CreatedDate, attachments: [] };
}

function commentMessage(comment: RawCaseComment): Message {
  const authorRole = roleOfUser(comment.CreatedBy?.UserType);
  return {
    sourceId: comment.Id,
    authorRole,
    author: authorRole === 'bot' ? null : userPerson(comment.CreatedById, comment.CreatedBy),
    visibility: comment.IsPublished ? 'public' : 'internal',
    body: (comment.CommentBody ?? '').trim(),
    createdAt: comment.CreatedDate,
    attachments: [],
  };
}

export function toConversation(raw: RawCase, emails: RawEmailMessage[], comments: RawCaseComment[]): Conversation {
  const requester = requesterOf(raw);
  const messages = [...emails.map((email) => emailMessage(email, requester)), ...comments.map(commentMessage)];
  const description = raw.Description?.trim();
  // Email-to-Case copies the first email into Description; only add it when no email carries it.
  if (description && !emails.some((email) => email.Incoming && sameText(email.TextBody ?? htmlToText(email.HtmlBody ?? ''), description))) {
    messages.push({ sourceId: `${raw.Id}:description`, authorRole: 'customer', author: requester, visibility: 'public', body: description, createdAt: raw.CreatedDate, attachments: [] });
  }
  const order = new Map(messages.map((message, index) => [message, index]));
  messages.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || order.get(a)! - order.get(b)!);

  return {
    source: 'salesforce',
    sourceId: raw.Id,
    subject: raw.Subject,
    status: raw.Status,
    priority: raw.Priority,
    channel: raw.Origin?.toLowerCase() ?? null,
    language: null,
    tags: [],
    customFields: { caseNumber: raw.CaseNumber, type: raw.Type, reason: raw.Reason, isClosed: raw.IsClosed },
    requester,
    assignee: { id: raw.OwnerId, name: raw.Owner?.Name ?? null, email: raw.Owner?.Email ?? null },
    organizationId: raw.AccountId,
    createdAt: raw.CreatedDate,
    updatedAt: raw.SystemModstamp,
    deleted: raw.IsDeleted,
    messages: raw.IsDeleted ? [] : messages,
  };
}
