/**
 * What a stored HubSpot connection holds: settings (plain) and credentials (encrypted at rest).
 * https://developers.hubspot.com/docs/api/private-apps, https://developers.hubspot.com/docs/api/oauth-quickstart-guide
 */
import { z } from 'zod';

export const DEFAULT_BASE_URL = 'https://api.hubapi.com';

const PropertyName = z.string().regex(/^[a-z0-9_]+$/, 'a HubSpot property name is lowercase letters, digits and underscores, e.g. "support_intent"');

export const HubSpotSettings = z
  .object({
    /** API root; a sandbox's URL (http://127.0.0.1:4030) in tests and demos. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** The HubSpot account (hub id) the token must belong to; checked by the connection test. */
    portalId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
    /** Extra ticket properties copied into customFields (custom properties such as "support_intent"). */
    ticketProperties: z.union([z.array(PropertyName).max(50), z.string().transform((list) => list.split(',').map((name) => name.trim()).filter(Boolean)).pipe(z.array(PropertyName).max(50))]).optional(),
    /** Records per list/search call; HubSpot's CRM search allows at most 200 (the default). */
    pageSize: z.number().int().min(1).max(200).optional(),
    /**
     * CRM searches a second: HubSpot allows five per account and says so in no header, so the
     * client keeps count. Raise it only for a sandbox whose limits are lifted (benchmarks).
     */
    searchesPerSecond: z.number().int().min(1).max(1000).optional(),
    /**
     * Write-back: ticket properties that receive triage fields, e.g. {"intent": "support_intent",
     * "confidence": "triage_confidence"}. Filled only while empty; priority goes to hs_ticket_priority.
     */
    triageProperties: z.partialRecord(z.enum(['intent', 'category', 'language', 'confidence']), PropertyName).optional(),
  })
  .strict();
export type HubSpotSettings = z.infer<typeof HubSpotSettings>;

export const HubSpotCredentials = z.discriminatedUnion('type', [
  /** A private app's access token (Settings > Integrations > Private Apps). */
  z.object({ type: z.literal('private_app'), accessToken: z.string().min(1) }).strict(),
  /** An OAuth access token; with refreshToken, clientId and clientSecret it is renewed on 401. */
  z
    .object({
      type: z.literal('oauth'),
      accessToken: z.string().min(1),
      refreshToken: z.string().min(1).optional(),
      clientId: z.string().min(1).optional(),
      clientSecret: z.string().min(1).optional(),
    })
    .strict(),
]);
export type HubSpotCredentials = z.infer<typeof HubSpotCredentials>;

/** Scopes a harvest needs, and why; the connection test names any the token lacks. */
export const REQUIRED_SCOPES: Record<string, string> = {
  'conversations.read': 'inbox threads and their messages',
  tickets: 'tickets',
  'sales-email-read': 'the content of emails on tickets',
  'crm.objects.contacts.read': 'notes on tickets and the customers (contacts)',
};

export function basePathFor(settings: HubSpotSettings): string {
  return (settings.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
}
