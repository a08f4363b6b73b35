/** Slack: harvest of support channels, and the app's own messages (alerts, run progress). */
import type { Vendor } from '../types.ts';
import { slackConnector } from './connector.ts';

export const slack: Vendor = {
  source: 'slack',
  label: 'Slack',
  apiDomains: ['slack.com'],
  urlSettings: ['apiUrl'],
  connector: slackConnector,
  sandbox: () => import('./sandbox/launch.ts').then((module) => module.slackSandbox),
};
