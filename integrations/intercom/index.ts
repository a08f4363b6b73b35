/** Intercom: harvest, drafts as internal notes and triage as tags, signed webhooks. */
import type { Vendor } from '../types.ts';
import { intercomConnector } from './connector.ts';
import { intercomWebhook } from './webhook.ts';
import { intercomWriteBack } from './write-back.ts';

export const intercom: Vendor = {
  source: 'intercom',
  label: 'Intercom',
  apiDomains: ['intercom.io'],
  urlSettings: ['baseUrl'],
  connector: intercomConnector,
  writeBack: intercomWriteBack,
  webhook: intercomWebhook,
  sandbox: () => import('./sandbox/launch.ts').then((module) => module.intercomSandbox),
};
