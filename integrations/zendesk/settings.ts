/**
 * What a stored Zendesk connection holds: settings (plain) and credentials (encrypted at rest).
 * https://developer.zendesk.com/api-reference/introduction/security-and-auth/
 */
import { z } from 'zod';

export const ZendeskSettings = z
  .object({
    /** "acme" for https://acme.zendesk.com */
    subdomain: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i, 'a Zendesk subdomain is letters, digits and dashes, e.g. "acme" for acme.zendesk.com')
      .optional(),
    /** Root URL of the account or of a sandbox (http://127.0.0.1:4010); overrides subdomain. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Tickets per incremental export page; Zendesk's default and maximum is 1000. */
    perPage: z.number().int().min(1).max(1000).optional(),
    /** Write-back: the id of a ticket custom field (text or decimal) that receives triage confidence. */
    triageConfidenceFieldId: z.number().int().positive().optional(),
  })
  .refine((settings) => settings.subdomain !== undefined || settings.baseUrl !== undefined, {
    message: 'set subdomain (e.g. "acme") or baseUrl',
  });
export type ZendeskSettings = z.infer<typeof ZendeskSettings>;

export const ZendeskCredentials = z.discriminatedUnion('type', [
  /** An agent's email and an API token (Admin Center > Apps and integrations > Zendesk API). */
  z.object({ type: z.literal('api_token'), email: z.email(), token: z.string().min(1) }),
  /** An OAuth access token with the "read" scope (and "write" for write-back). */
  z.object({ type: z.literal('oauth'), accessToken: z.string().min(1) }),
]);
export type ZendeskCredentials = z.infer<typeof ZendeskCredentials>;

/** node-zendesk's `endpointUri`: the API root for the account. */
export function endpointUriFor(settings: ZendeskSettings): string {
  if (settings.baseUrl !== undefined) {
    const root = settings.baseUrl.replace(/\/+$/, '');
    return root.endsWith('/api/v2') ? root : `${root}/api/v2`;
  }
  if (settings.subdomain !== undefined) return `https://${settings.subdomain.toLowerCase()}.zendesk.com/api/v2`;
  throw new Error('Zendesk settings need a subdomain or a baseUrl');
}
