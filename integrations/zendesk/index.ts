/** Zendesk: harvest, drafts and triage as internal notes, signed webhooks and their set-up. */
import type { Vendor } from '../types.ts';
import { zendeskConnector } from './connector.ts';
import { zendeskWebhook } from './webhook.ts';
import { zendeskWebhookInstaller } from './webhook-install.ts';
import { zendeskWriteBack } from './write-back.ts';

export const zendesk: Vendor = {
  source: 'zendesk',
  label: 'Zendesk',
  apiDomains: ['zendesk.com'],
  urlSettings: ['baseUrl'],
  connector: zendeskConnector,
  writeBack: zendeskWriteBack,
  webhook: zendeskWebhook,
  webhookInstaller: zendeskWebhookInstaller,
  sandbox: () => import('./sandbox/launch.ts').then((module) => module.zendeskSandbox),
};
