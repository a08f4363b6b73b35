/**
 * Every vendor and provider tuneloop can talk to, by name. src/ reaches them only through this
 * registry and integrations/types.ts, never through a vendor folder or SDK. Adding a vendor is one
 * folder and one line here.
 */
import { email } from './email/index.ts';
import { hubspot } from './hubspot/index.ts';
import { intercom } from './intercom/index.ts';
import { openai } from './openai/index.ts';
import { salesforce } from './salesforce/index.ts';
import { createSlackApp } from './slack/app/app.ts';
import { respondAt } from './slack/app/client.ts';
import { slackAppManifest } from './slack/app/manifest.ts';
import { createSlackChat, type SlackChatOptions } from './slack/chat.ts';
import { slack } from './slack/index.ts';
import type { AppChat, ConnectorFactory, FineTuningProvider, SandboxLauncher, SlackApp, SlackAppOptions, SlackReply, Source, Vendor, WriteBackFactory } from './types.ts';
import { zendesk } from './zendesk/index.ts';

export const VENDORS: Readonly<Record<Source, Vendor>> = { zendesk, salesforce, hubspot, slack, intercom, email };

export function vendorFor(source: string): Vendor | null {
  return Object.hasOwn(VENDORS, source) ? VENDORS[source as Source] : null;
}

export function connectorFactory(source: string): ConnectorFactory | null {
  return vendorFor(source)?.connector ?? null;
}

/** Write-back (drafts as internal notes, triage) by vendor; null where the vendor has none (Slack). */
export function writeBackFactory(source: string): WriteBackFactory | null {
  return vendorFor(source)?.writeBack ?? null;
}

/** Vendors that send signed webhooks to /webhooks/<source>/<connection id>. */
export const WEBHOOK_SOURCES: readonly Source[] = Object.values(VENDORS)
  .filter((vendor) => vendor.webhook)
  .map((vendor) => vendor.source);

/** Managed fine-tuning providers by name. */
export const PROVIDERS: Readonly<Record<'openai', FineTuningProvider>> = { openai };

/** The Slack app's own messages (compliance alerts, run progress), posted with its bot token. */
export function slackChat(options: SlackChatOptions): AppChat {
  return createSlackChat(options);
}

/** Every loopback sandbox `tuneloop sandbox <name>` can start, loaded on demand. */
export const SANDBOXES: Readonly<Record<string, () => Promise<SandboxLauncher>>> = {
  ...Object.fromEntries(Object.values(VENDORS).map((vendor) => [vendor.source, vendor.sandbox])),
  openai: openai.sandbox,
};

/** The Slack app (Bolt, HTTP or Socket Mode) around the hub's handlers. */
export function slackApp(options: SlackAppOptions): SlackApp {
  return createSlackApp(options);
}

/** A reply through a Slack response_url (up to 30 minutes after the command), from any process. */
export function respondInSlack(responseUrl: string, reply: SlackReply, apiUrl: string): Promise<void> {
  return respondAt(responseUrl, reply, apiUrl);
}

/** The Slack app's manifest (YAML), for `tuneloop slack manifest`. */
export function slackManifest(options: { url?: string; socketMode: boolean }): string {
  return slackAppManifest(options);
}

/** HTML to plain text the way the connectors do it (documents and mail bodies reuse it). */
export { htmlToText } from './common/html-to-text.ts';
