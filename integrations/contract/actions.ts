/** What the hub asks of a vendor beyond harvest and write-back: alert tasks, webhook set-up, the app's messages. */
import type { VendorLogger } from './connector.ts';

/** Options every vendor action takes: where refreshed OAuth tokens go, a logger. */
export interface VendorCallOptions {
  onCredentialsRefreshed?: (credentials: Record<string, unknown>) => Promise<void>;
  log?: VendorLogger;
}

/** A task for a person at the vendor about a compliance alert (a Salesforce Task on the Case). */
export interface AlertTaskInput {
  /** The vendor's id of the ticket/case the alert is about. */
  ticketId: string;
  /** Our id for the task (the alert id): a retry finds the task it made instead of making another. */
  key: string;
  subject: string;
  description: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
}

export interface AlertTasks {
  createTask(input: AlertTaskInput, signal?: AbortSignal): Promise<{ taskId: string; existing: boolean }>;
}

export interface AlertTasksFactory {
  create(settings: unknown, credentials: unknown, options?: VendorCallOptions): AlertTasks;
}

/** Sets up the vendor's side of inbound webhooks through its API (Zendesk webhook + trigger). */
export interface WebhookInstaller {
  install(
    settings: unknown,
    credentials: unknown,
    target: { hubUrl: string; connectionId: string; connectionName: string },
  ): Promise<{ secret: string; webhookId: string; triggerId: string; createdWebhook: boolean; createdTrigger: boolean; endpoint: string }>;
  /** The same set-up as manual steps for the vendor's admin UI; calls nothing. */
  manualSteps(hubUrl: string, connectionId: string, connectionName: string): string;
}

/** A message the app posts and later updates in place (compliance alerts, run progress). */
export interface AppMessage {
  channel: string;
  /** Fallback text for notifications and clients without blocks. */
  text: string;
  blocks: unknown[];
}

export interface AppChat {
  post(message: AppMessage, signal?: AbortSignal): Promise<{ channel: string; ts: string }>;
  update(message: AppMessage & { ts: string }, signal?: AbortSignal): Promise<{ channel: string; ts: string }>;
}
