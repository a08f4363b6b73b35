/**
 * The connectors tuneloop can build from a stored connection, by vendor. src/ reaches vendors only
 * through this registry and integrations/types.ts, never through an SDK.
 */
import { hubspotConnector } from './hubspot/index.ts';
import { salesforceConnector } from './salesforce/index.ts';
import { slackConnector } from './slack/index.ts';
import type { ConnectorFactory, Source } from './types.ts';
import { zendeskConnector } from './zendesk/index.ts';

export const CONNECTORS: Partial<Record<Source, ConnectorFactory>> = {
  zendesk: zendeskConnector,
  salesforce: salesforceConnector,
  slack: slackConnector,
  hubspot: hubspotConnector,
};

export function connectorFactory(source: string): ConnectorFactory | null {
  return Object.hasOwn(CONNECTORS, source) ? (CONNECTORS[source as Source] ?? null) : null;
}
