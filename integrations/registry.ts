/**
 * The connectors tuneloop can build from a stored connection, by vendor. src/ reaches vendors only
 * through this registry and integrations/types.ts, never through an SDK.
 */
import { hubspotConnector, hubspotWriteBack } from './hubspot/index.ts';
import { salesforceConnector, salesforceWriteBack } from './salesforce/index.ts';
import { slackConnector } from './slack/index.ts';
import type { ConnectorFactory, Source, WriteBackFactory } from './types.ts';
import { zendeskConnector, zendeskWriteBack } from './zendesk/index.ts';

export const CONNECTORS: Partial<Record<Source, ConnectorFactory>> = {
  zendesk: zendeskConnector,
  salesforce: salesforceConnector,
  slack: slackConnector,
  hubspot: hubspotConnector,
};

export function connectorFactory(source: string): ConnectorFactory | null {
  return Object.hasOwn(CONNECTORS, source) ? (CONNECTORS[source as Source] ?? null) : null;
}

/** Write-back (drafts as internal notes, triage) by vendor; Slack has none. */
export const WRITE_BACKS: Partial<Record<Source, WriteBackFactory>> = {
  zendesk: zendeskWriteBack,
  salesforce: salesforceWriteBack,
  hubspot: hubspotWriteBack,
};

export function writeBackFactory(source: string): WriteBackFactory | null {
  return Object.hasOwn(WRITE_BACKS, source) ? (WRITE_BACKS[source as Source] ?? null) : null;
}
