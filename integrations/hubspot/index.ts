/** HubSpot: harvest of inbox threads and tickets, drafts as notes on tickets, v3-signed webhooks. */
import type { Vendor } from '../types.ts';
import { hubspotConnector } from './connector.ts';
import { hubspotWebhook } from './webhook.ts';
import { hubspotWriteBack } from './write-back.ts';

export const hubspot: Vendor = {
  source: 'hubspot',
  label: 'HubSpot',
  apiDomains: ['hubapi.com', 'hubspot.com'],
  urlSettings: ['baseUrl'],
  connector: hubspotConnector,
  writeBack: hubspotWriteBack,
  webhook: hubspotWebhook,
  sandbox: () => import('./sandbox/launch.ts').then((module) => module.hubspotSandbox),
};
