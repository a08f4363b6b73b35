import type { AlertTasksFactory, WebhookInstaller } from './actions.ts';
import type { ConnectorFactory } from './connector.ts';
import type { Source } from './conversation.ts';
import type { SandboxLauncher } from './sandbox.ts';
import type { InboundWebhook } from './webhooks.ts';
import type { WriteBackFactory } from './write-back.ts';

/**
 * Everything the hub can do with one vendor, opened by source through integrations/registry.ts.
 * Each vendor folder exports one of these from its index.ts.
 */
export interface Vendor {
  readonly source: Source;
  /** The vendor's name for people: "Zendesk". */
  readonly label: string;
  readonly connector: ConnectorFactory;
  /**
   * Where the vendor's API lives: a connection's URL settings (`urlSettings`) must be https on one of
   * these domains or a subdomain of one, unless the operator allows the host (VENDOR_ALLOWED_HOSTS).
   * Credentials are sent to those URLs, so a URL elsewhere would hand them (and a harvest's requests)
   * to any host, internal ones included.
   */
  readonly apiDomains: readonly string[];
  readonly urlSettings: readonly string[];
  /** Drafts as internal notes and triage; absent where the vendor has no tickets (Slack). */
  readonly writeBack?: WriteBackFactory;
  /** Inbound webhooks at /webhooks/<source>/<connection id>. */
  readonly webhook?: InboundWebhook;
  readonly webhookInstaller?: WebhookInstaller;
  /** Tasks for compliance alerts on the vendor's tickets. */
  readonly alertTasks?: AlertTasksFactory;
  /** The loopback sandbox, loaded only when asked for. */
  readonly sandbox: () => Promise<SandboxLauncher>;
}
