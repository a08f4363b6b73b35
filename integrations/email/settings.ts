/**
 * What a stored mailbox connection holds: where the IMAP server is and which mailbox to watch
 * (settings), and how to log in (credentials, encrypted at rest): a password, or an OAuth2 access
 * token sent with SASL XOAUTH2 where the provider requires it (Gmail, Microsoft 365).
 */
import { z } from 'zod';

export const EmailSettings = z.object({
  host: z.string().min(1).max(255),
  /** 993 with `tls` (implicit TLS), 143 without. */
  port: z.number().int().min(1).max(65_535).optional(),
  /** Implicit TLS (IMAPS). Without it the client still upgrades with STARTTLS when the server offers it. */
  tls: z.boolean().default(true),
  /** Refuse servers whose certificate does not verify (keep true outside a lab). */
  verifyCertificate: z.boolean().default(true),
  mailbox: z.string().min(1).max(255).default('INBOX'),
  /** Addresses (or `@domain`) of the company's own people: their mail is `agent`, all other `customer`. */
  agentAddresses: z.array(z.string().min(2).max(320)).max(1000).default([]),
});
export type EmailSettings = z.infer<typeof EmailSettings>;

export const EmailCredentials = z.discriminatedUnion('type', [
  z.object({ type: z.literal('password'), username: z.string().min(1).max(320), password: z.string().min(1).max(1024) }),
  z.object({ type: z.literal('oauth2'), username: z.string().min(1).max(320), accessToken: z.string().min(1).max(8192) }),
]);
export type EmailCredentials = z.infer<typeof EmailCredentials>;

/** The cursor: the mailbox's UIDVALIDITY and the highest UID stored. A new UIDVALIDITY starts over. */
export const EmailCursor = z.object({ uidValidity: z.string().regex(/^\d+$/), lastUid: z.number().int().min(0) });
export type EmailCursor = z.infer<typeof EmailCursor>;
