/** The signature headers each vendor would send, for tests that play the vendor. */
import { signHubSpotV3 } from '../../integrations/hubspot/webhook.ts';
import { signSalesforce } from '../../integrations/salesforce/webhook.ts';
import { signZendesk } from '../../integrations/zendesk/webhook.ts';

export const sign = { zendesk: signZendesk, hubspotV3: signHubSpotV3, salesforce: signSalesforce };
