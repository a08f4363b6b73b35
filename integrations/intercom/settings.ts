/**
 * What a stored Intercom connection holds: settings (plain) and credentials (encrypted at rest).
 * https://developers.intercom.com/docs/build-an-integration/learn-more/authentication
 * Regional workspaces answer on their own hosts (https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/unified-api-endpoints).
 */
import { z } from 'zod';

export const REGION_URLS = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
} as const;

export const IntercomSettings = z
  .object({
    /** Where the workspace's data lives; default us. */
    region: z.enum(['us', 'eu', 'au']).optional(),
    /** API root of a sandbox (http://127.0.0.1:4050); overrides region. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** The admin (teammate) shown as the author of tuneloop's notes and tags; default: the token's own admin (GET /me). */
    adminId: z.union([z.string().regex(/^\d{1,20}$/, 'an Intercom admin id is digits'), z.number().int().positive().transform(String)]).optional(),
    /** Conversations per search page; Intercom's maximum (and the default) is 150. */
    perPage: z.number().int().min(1).max(150).optional(),
  })
  .strict();
export type IntercomSettings = z.infer<typeof IntercomSettings>;

export const IntercomCredentials = z
  .object({
    /** An access token: a private app's, or an OAuth token of a public app. */
    type: z.literal('access_token'),
    accessToken: z.string().min(1),
  })
  .strict();
export type IntercomCredentials = z.infer<typeof IntercomCredentials>;

export function baseUrlFor(settings: IntercomSettings): string {
  return (settings.baseUrl ?? REGION_URLS[settings.region ?? 'us']).replace(/\/+$/, '');
}
