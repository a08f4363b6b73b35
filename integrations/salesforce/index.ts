/** Salesforce: harvest of Cases, drafts and triage on the Case, Tasks for alerts, signed callouts. */
import type { Vendor } from '../types.ts';
import { salesforceAlertTasks } from './alert-tasks.ts';
import { salesforceConnector } from './connector.ts';
import { salesforceWebhook } from './webhook.ts';
import { salesforceWriteBack } from './write-back.ts';

export const salesforce: Vendor = {
  source: 'salesforce',
  label: 'Salesforce',
  apiDomains: ['salesforce.com', 'force.com'],
  urlSettings: ['instanceUrl', 'loginUrl'],
  connector: salesforceConnector,
  writeBack: salesforceWriteBack,
  webhook: salesforceWebhook,
  alertTasks: salesforceAlertTasks,
  sandbox: () => import('./sandbox/launch.ts').then((module) => module.salesforceSandbox),
};
