/**
 * Raw RFC 5322 mail (as IMAP FETCH BODY[] returns it) to normalized messages, with mailparser:
 * text and HTML bodies, the quoted part of a reply separated from the new text, attachment names,
 * and the thread it belongs to (the first Message-ID of References, else In-Reply-To, else its own).
 * https://nodemailer.com/extras/mailparser/
 */
import { simpleParser, type AddressObject } from 'mailparser';
import { htmlToText } from '../common/html-to-text.ts';
import type { AuthorRole, Message, Person } from '../types.ts';
import { splitQuoted } from './quoted.ts';

export interface ParsedMail {
  uid: number;
  threadId: string;
  subject: string | null;
  message: Message;
  /** The quoted part of a reply (not scanned, not stored as the message's body). */
  quoted: string;
}

const firstAddress = (value: AddressObject | AddressObject[] | undefined) => (Array.isArray(value) ? value[0] : value)?.value[0];

/** `agentAddresses` entries are full addresses or `@domain`. */
export function roleOf(address: string | null, agentAddresses: readonly string[]): AuthorRole {
  if (!address) return 'customer';
  const lower = address.toLowerCase();
  return agentAddresses.some((entry) => (entry.startsWith('@') ? lower.endsWith(entry.toLowerCase()) : lower === entry.toLowerCase())) ? 'agent' : 'customer';
}

const references = (value: string | string[] | undefined): string[] => (Array.isArray(value) ? value : value ? value.split(/\s+/) : []).filter(Boolean);

/** Throws on mail mailparser cannot read at all; the caller counts and skips it. */
export async function parseMail(source: Buffer, uid: number, uidValidity: string, agentAddresses: readonly string[]): Promise<ParsedMail> {
  const mail = await simpleParser(source, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  const own = mail.messageId ?? `<uid-${uidValidity}-${uid}@tuneloop.invalid>`;
  const threadId = references(mail.references)[0] ?? (mail.inReplyTo ? references(mail.inReplyTo)[0] : undefined) ?? own;
  const from = firstAddress(mail.from);
  const text = mail.text ?? (typeof mail.html === 'string' ? htmlToText(mail.html) : '');
  const { fresh, quoted } = splitQuoted(text);
  const author: Person | null = from ? { id: from.address ?? from.name, name: from.name || null, email: from.address ?? null } : null;
  return {
    uid,
    threadId,
    subject: mail.subject ?? null,
    quoted,
    message: {
      sourceId: own,
      authorRole: roleOf(from?.address ?? null, agentAddresses),
      author,
      visibility: 'public',
      body: fresh,
      createdAt: mail.date ?? new Date(),
      attachments: mail.attachments.map((attachment) => attachment.filename ?? 'attachment'),
      files: mail.attachments.map((attachment) => ({ name: attachment.filename ?? 'attachment', contentType: attachment.contentType || null, content: attachment.content })),
    },
  };
}
