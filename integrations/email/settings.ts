/**
 * What a stored mailbox connection holds: where the IMAP server is and which mailbox to watch
 * (settings), and how to log in (credentials, encrypted at rest): a password, or an OAuth2 access
 * token sent with SASL XOAUTH2 where the provider requires it (Gmail, Microsoft 365). With a refresh
 * token, the connection's client id (and secret) and the provider's token endpoint
 * (`oauthTokenUrl`), the access token is renewed when it expires (oauth.ts).
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
  /**
   * The provider's OAuth2 token endpoint, for renewing the access token with the refresh token
   * (https://oauth2.googleapis.com/token, https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token).
   */
  oauthTokenUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
});
export type EmailSettings = z.infer<typeof EmailSettings>;

export const EmailCredentials = z.discriminatedUnion('type', [
  z.object({ type: z.literal('password'), username: z.string().min(1).max(320), password: z.string().min(1).max(1024) }),
  z.object({
    type: z.literal('oauth2'),
    username: z.string().min(1).max(320),
    accessToken: z.string().min(1).max(8192),
    /** With clientId and the oauthTokenUrl setting: renews the access token (RFC 6749 §6). */
    refreshToken: z.string().min(1).max(8192).optional(),
    clientId: z.string().min(1).max(1024).optional(),
    clientSecret: z.string().min(1).max(1024).optional(),
    /** When the access token expires (ISO 8601); it is renewed a minute before. Unknown: renewed when the server refuses it. */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  }),
]);
export type EmailCredentials = z.infer<typeof EmailCredentials>;

/** The cursor: the mailbox's UIDVALIDITY and the highest UID stored. A new UIDVALIDITY starts over. */
export const EmailCursor = z.object({ uidValidity: z.string().regex(/^\d+$/), lastUid: z.number().int().min(0) });
export type EmailCursor = z.infer<typeof EmailCursor>;
