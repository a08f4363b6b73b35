/**
 * Mail to a watched mailbox becomes a Slack alert by itself, with the real hub (`tuneloop start`
 * in a child process), a real Dovecot and the Slack sandbox: IDLE tells the hub, the live harvest
 * stores the mail, the compliance scan raises the alert, slack.notify posts it. The hub is then
 * killed with -9 while it idles, mail arrives while it is down, and after a restart that mail is
 * alerted too, and nothing is stored, alerted or posted twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type RunningDovecot } from '../../integrations/email/sandbox/dovecot.ts';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN } from '../../integrations/slack/sandbox/index.ts';
import { complianceAlerts, conversations, harvestRuns, messages } from '../../src/db/schema/index.ts';
import { startCli, type RunningCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, TEST_KEY } from '../support/harvest.ts';
import { rawMail } from '../support/mail.ts';
import { waitFor } from '../support/wait.ts';

const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';
const USER = { username: 'compliance', password: 'mailbox-password' };

describe('email → alert in Slack, live', () => {
  let database: TestDatabase;
  let dovecot: RunningDovecot;
  const slack = createSlackSandbox({ seed: 9, threads: 1 });
  let slackServer: { apiUrl: string; close(): Promise<void> };
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-mail-'));
  let hub: RunningCli | null = null;
  let connectionId = '';

  const startHub = async () => {
    const started = startCli(['start'], {
      DATABASE_URL: database.url,
      PORT: '0',
      TUNELOOP_HOME: home,
      TUNELOOP_ENCRYPTION_KEY: TEST_KEY.toString('base64'),
      COMPLIANCE_SLACK_CHANNEL: CHANNEL,
      SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
      SLACK_API_URL: slackServer.apiUrl,
    });
    hub = started;
    await started.waitForLog((line) => line.msg === 'watching for new mail (IDLE)' && line.connectionId === connectionId, 'the mailbox watched');
    return started;
  };
  const posts = () => slack.store.posted.filter((entry) => entry.method === 'chat.postMessage' && entry.channel === CHANNEL);
  const alerts = () => database.db.select().from(complianceAlerts).orderBy(complianceAlerts.createdAt);

  beforeAll(async () => {
    database = await createTestDatabase();
    dovecot = await startDovecot({ users: [USER] });
    slackServer = await slack.listen();
    const row = await addConnection(database, {
      vendor: 'email',
      name: 'compliance-mailbox',
      settings: { host: dovecot.host, port: dovecot.port, tls: false, agentAddresses: ['@company.test'] },
      credentials: { type: 'password', ...USER },
    });
    connectionId = row.id;
  });
  afterAll(async () => {
    hub?.child.kill('SIGKILL');
    await hub?.exited;
    await slackServer?.close();
    await dovecot?.close();
    await database?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('alerts on new mail once, also across a kill -9 mid-IDLE', async () => {
    const first = await startHub();
    const promise = rawMail({ from: 'Sam Agent <sam@company.test>', to: 'jane@customer.test', subject: 'Your refund', body: 'Hello Jane,\nyour money is 100% refund guaranteed.\nSam' });
    await dovecot.deliver(USER, promise.raw);
    await waitFor('the first alert in Slack', async () => posts().length === 1, 60_000, async () => JSON.stringify(await alerts()));
    const [raised] = await alerts();
    expect(raised).toMatchObject({ policyId: 'forbidden-refund-promise', evidence: [{ excerpt: '100% refund' }] });
    expect(JSON.stringify(posts()[0]?.blocks)).toContain(raised?.id ?? '-');

    // Killed while idling; mail arrives while the hub is down.
    first.child.kill('SIGKILL');
    await first.exited;
    const threat = rawMail({ from: 'jane@customer.test', subject: 'Re: Your refund', body: 'If this is not fixed my lawyer will call you.\n\nOn Mon, Sam wrote:\n> your money is 100% refund guaranteed.', inReplyTo: promise.messageId, references: [promise.messageId] });
    await dovecot.deliver(USER, threat.raw);

    await startHub();
    await waitFor('the second alert in Slack', async () => posts().length === 2, 60_000, async () => JSON.stringify(await alerts()));
    // The quoted promise in Jane's reply is not her text: no second promise alert.
    expect((await alerts()).map((alert) => alert.policyId)).toEqual(['forbidden-refund-promise', 'legal-threat']);
    const thread = await database.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.connectionId, connectionId));
    expect(thread).toHaveLength(1);
    expect(await database.db.select({ id: messages.id }).from(messages).where(eq(messages.conversationId, thread[0]?.id ?? 0))).toHaveLength(2);
    const runs = await database.db.select({ trigger: harvestRuns.trigger, status: harvestRuns.status }).from(harvestRuns).where(eq(harvestRuns.connectionId, connectionId));
    expect(runs.every((run) => run.trigger === 'live')).toBe(true);
    // Still once each, whatever the restart re-read.
    expect(posts()).toHaveLength(2);
  });
});
