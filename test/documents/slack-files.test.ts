/**
 * Files shared in Slack support channels, scanned like Zendesk attachments: a PDF with a violation
 * on page 2 posted with a message reaches the hub as a file_share event through the real Bolt app,
 * its thread is read again (conversation.refresh), the file downloaded from url_private with the
 * bot token, stored as a document of its message and scanned: one alert with page evidence, posted
 * to the compliance channel. A bot token without files:read gets Slack's sign-in page instead of the
 * file: the harvest still succeeds, the file is left out.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackSandbox, DEFAULT_CHANNELS, DEFAULT_SCOPES, SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET, SUPPORT_GROUP_ID } from '../../integrations/slack/sandbox/index.ts';
import { listenOnLoopback } from '../../integrations/sandbox-kit/server.ts';
import { createApp } from '../../src/app.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { loadConfig } from '../../src/config.ts';
import { complianceAlerts, documents } from '../../src/db/schema/index.ts';
import type { HubDeps } from '../../src/deps.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { textPdf } from '../support/documents.ts';
import { addConnection, harvestNow, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { waitFor } from '../support/wait.ts';

const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';
const ALERTS = DEFAULT_CHANNELS[1]?.id ?? CHANNEL;
const PDF_TYPE = 'application/pdf';

describe('Slack files', () => {
  let database: TestDatabase;
  let queue: Queue;
  const slack = createSlackSandbox({ seed: 7, threads: 6, eventRetryDelaysMs: [0, 50, 100] });
  let slackServer: { url: string; apiUrl: string; close(): Promise<void> };
  let hub: { url: string; close(): Promise<void> };
  let supportAgent = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    const { log } = captureLogger();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    slackServer = await slack.listen();
    // The refund promise policy is about what agents tell customers: an agent of the support group shares the file.
    const agents = slack.store.userGroups.get(SUPPORT_GROUP_ID)?.users ?? [];
    supportAgent = [...slack.store.requireChannel(CHANNEL).members].find((id) => agents.includes(id)) ?? '';
    const config = loadConfig({ DATABASE_URL: database.url, SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN, SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET, SLACK_API_URL: slackServer.apiUrl, COMPLIANCE_SLACK_CHANNEL: ALERTS });
    const deps: HubDeps = { database, queue, log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) };
    hub = await listenOnLoopback(createApp(deps).fetch);
    slack.setRequestUrl(`${hub.url}/slack/events`);
    await registerHandlers(deps, ['conversation.refresh', 'compliance.scan', 'compliance.scan-document', 'slack.notify'], 2);
    const connection = await addConnection(database, {
      vendor: 'slack',
      name: 'support-slack',
      settings: { channels: DEFAULT_CHANNELS.map((c) => c.id), apiUrl: slackServer.apiUrl, agentUserGroup: SUPPORT_GROUP_ID },
      credentials: { type: 'bot_token', token: SANDBOX_BOT_TOKEN },
    });
    expect((await harvestNow(database, connection.id))?.status).toBe('succeeded');
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 3_000 });
    await hub?.close();
    await slackServer?.close();
    await database?.drop();
  });

  it('a PDF shared in a channel (file_share event) → document → one alert with page 2, posted to Slack', async () => {
    expect(supportAgent).not.toBe('');
    // The seeded screenshots were not downloaded by the harvest: images carry no text to scan.
    expect(await database.db.$count(documents)).toBe(0);
    const pdf = await textPdf(['Terms of our offer, page one.', 'Refunds: your money is 100% refund guaranteed.']);
    const posted = await slack.postUserMessage({ channelId: CHANNEL, userId: supportAgent, text: 'Our offer, as promised.', files: [{ name: 'offer.pdf', title: 'Offer', mimetype: PDF_TYPE, filetype: 'pdf', size: pdf.byteLength, content: pdf }] });
    expect(posted.message.subtype).toBe('file_share');
    expect(posted.delivery?.status).toBe(200);

    const alert = await waitFor('an alert on the shared PDF, posted to Slack', async () => {
      const [row] = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.policyId, 'forbidden-refund-promise')).innerJoin(documents, eq(documents.id, complianceAlerts.documentId));
      return row?.compliance_alerts.slackTs ? row : null;
    });
    expect(alert.documents).toMatchObject({ filename: 'offer.pdf', origin: 'slack', status: 'text' });
    expect(alert.compliance_alerts.evidence).toMatchObject([{ excerpt: '100% refund', page: 2 }]);
    expect(slack.store.fileDownloads).toEqual([{ fileId: posted.message.files[0]?.id, served: true }]);
    expect(await database.db.$count(complianceAlerts, eq(complianceAlerts.documentId, alert.documents.id))).toBe(1);
  });

  it('without files:read Slack answers its sign-in page: the harvest succeeds and leaves the file out', async () => {
    const narrow = createSlackSandbox({ seed: 8, threads: 2, scopes: DEFAULT_SCOPES.filter((scope) => scope !== 'files:read') });
    const server = await narrow.listen();
    try {
      const pdf = await textPdf(['A contract.']);
      narrow.store.addMessage(CHANNEL, { user: [...narrow.store.requireChannel(CHANNEL).members][0] ?? null, text: 'The contract.', subtype: 'file_share', files: [{ id: narrow.store.allocateFileId(), name: 'contract.pdf', title: 'Contract', mimetype: PDF_TYPE, filetype: 'pdf', size: pdf.byteLength, created: Math.floor(Date.now() / 1000), user: 'U0', content: pdf }] });
      const connection = await addConnection(database, { vendor: 'slack', name: 'narrow-slack', settings: { channels: [CHANNEL], apiUrl: server.apiUrl }, credentials: { type: 'bot_token', token: SANDBOX_BOT_TOKEN } });
      const run = await harvestNow(database, connection.id);
      expect(run?.status, run?.error ?? '').toBe('succeeded');
      expect(narrow.store.fileDownloads).toEqual([{ fileId: expect.any(String), served: false }]);
      expect(await database.db.$count(documents, eq(documents.connectionId, connection.id))).toBe(0);
    } finally {
      await server.close();
    }
  });
});
