/**
 * What a stored Salesforce connection holds: settings (where the org is) and credentials
 * (encrypted at rest by the hub). Password credentials log in with jsforce's conn.login(): the
 * OAuth username-password flow when a client id and secret are given, else SOAP login() (not
 * served from API 65.0 on). OAuth credentials come from a finished web-server flow; the refresh
 * token renews the session. JWT bearer and client credentials connections sign in without a
 * password or a person: a server-to-server integration's usual choice.
 */
import { z } from 'zod';

export const DEFAULT_API_VERSION = '62.0';

export const salesforceSettingsSchema = z.object({
  /** The org's My Domain or instance URL, e.g. https://acme.my.salesforce.com. */
  instanceUrl: z.url({ protocol: /^https?$/ }),
  /** Where to log in and refresh tokens; defaults to instanceUrl (My Domain accepts both). */
  loginUrl: z.url({ protocol: /^https?$/ }).optional(),
  apiVersion: z
    .string()
    .regex(/^\d{2}\.0$/, 'an API version such as 62.0')
    .default(DEFAULT_API_VERSION),
  /** Write-back: the Case fields that receive triage (custom fields such as Intent__c work too); filled only when empty. */
  triageFields: z
    .object({
      type: z.string().regex(/^[A-Za-z]\w*$/).default('Type'),
      reason: z.string().regex(/^[A-Za-z]\w*$/).default('Reason'),
      priority: z.string().regex(/^[A-Za-z]\w*$/).default('Priority'),
    })
    .optional(),
});
export type SalesforceSettings = z.infer<typeof salesforceSettingsSchema>;

const passwordCredentials = z.object({
  type: z.literal('password'),
  username: z.string().min(1),
  password: z.string().min(1),
  /** Appended to the password, as Salesforce expects from untrusted IP ranges; empty when not needed. */
  securityToken: z.string().default(''),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
});

const oauthCredentials = z.object({
  type: z.literal('oauth'),
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  /** The connected app's consumer key: needed to use the refresh token. */
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
});

/** OAuth 2.0 JWT bearer flow: the connected app's consumer key, the user to act as, and the private key whose certificate the app holds. */
const jwtCredentials = z.object({
  type: z.literal('jwt'),
  clientId: z.string().min(1),
  username: z.string().min(1),
  privateKey: z.string().regex(/-----BEGIN (RSA )?PRIVATE KEY-----/, 'a PEM private key'),
  /** The login server the assertion is for; defaults to the settings' loginUrl (or instanceUrl). */
  audience: z.url().optional(),
});

/** OAuth 2.0 client credentials flow: the connected app's key and secret; it acts as the app's run-as user. */
const clientCredentials = z.object({
  type: z.literal('client_credentials'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});

export const salesforceCredentialsSchema = z
  .discriminatedUnion('type', [passwordCredentials, oauthCredentials, jwtCredentials, clientCredentials])
  .refine((credentials) => credentials.type !== 'oauth' || !credentials.refreshToken || credentials.clientId, {
    message: 'clientId (the connected app consumer key) is needed to use a refresh token',
    path: ['clientId'],
  });
export type SalesforceCredentials = z.infer<typeof salesforceCredentialsSchema>;
export type SalesforceOAuthCredentials = Extract<SalesforceCredentials, { type: 'oauth' }>;
