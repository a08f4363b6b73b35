/**
 * Signed webhook deliveries, as Intercom sends them to an app's subscription: a notification_event
 * (https://developers.intercom.com/docs/references/webhooks/webhook-models) POSTed as JSON with
 * X-Hub-Signature = "sha1=" + hex HMAC-SHA1 of the body under the app's client secret. Each
 * notification has its own id, kept when Intercom retries it.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { conversationJson } from './json.ts';
import type { IntercomSandboxStore, StoredConversation } from './store.ts';

export interface Subscription {
  url: string;
  clientSecret: string;
  topics: string[];
}

export class Deliveries {
  private subscription: Subscription | null = null;
  private pending: Promise<unknown>[] = [];

  constructor(
    private readonly store: IntercomSandboxStore,
    private readonly origin: () => string,
    private readonly appId = 'sbx0x1ab',
  ) {}

  subscribe(subscription: Subscription | null): void {
    this.subscription = subscription;
  }

  /** Posts a notification for `topic` about `conversation` if subscribed; failures are recorded, not thrown. */
  notify(topic: string, conversation: StoredConversation): void {
    const subscription = this.subscription;
    if (!subscription || !subscription.topics.includes(topic)) return;
    const id = `notif_${randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      type: 'notification_event',
      app_id: this.appId,
      data: { type: 'notification_event_data', item: conversationJson(this.store, conversation, { origin: this.origin(), withParts: true, plaintext: false }) },
      links: {},
      id,
      topic,
      delivery_status: 'pending',
      delivery_attempts: 1,
      delivered_at: 0,
      first_sent_at: now,
      created_at: now,
      self: null,
    });
    const signature = `sha1=${createHmac('sha1', subscription.clientSecret).update(body).digest('hex')}`;
    const entry = { id, topic, conversationId: conversation.id, status: null as number | null };
    this.store.deliveries.push(entry);
    this.pending.push(
      fetch(subscription.url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'Intercom-Webhook/1.0 (sandbox)', 'x-hub-signature': signature }, body }).then(
        (response) => (entry.status = response.status),
        () => (entry.status = 0),
      ),
    );
  }

  /** Waits for every delivery sent so far. */
  async flush(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }
}
