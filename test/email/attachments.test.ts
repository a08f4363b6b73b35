/**
 * Mail attachments are documents: a PDF attached to a mail in a real Dovecot, with a violation on
 * its second page, is extracted during the harvest, scanned by its job (judged as its mail: an
 * agent's public reply) and alerted with page evidence on the mail's message; an encrypted PDF
 * beside it is stored as skipped and counted; harvesting the mailbox again stores nothing twice.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type RunningDovecot } from '../../integrations/email/sandbox/dovecot.ts';
import { loadConfig } from '../../src/config.ts';
import { complianceAlerts, connections, documents, messages } from '../../src/db/schema/index.ts';
import { executeRun } from '../../src/harvest/execute.ts';
import { createRun } from '../../src/harvest/runs.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { complianceFigures } from '../../src/serving/compliance/figures.ts';
import { reactToHarvest } from '../../src/serving/on-harvest.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { encryptedPdf, textPdf } from '../support/documents.ts';
import { addConnection, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { rawMailWithAttachments } from '../support/mail.ts';

const USER = { username: 'officer', password: 'mailbox-password' };

describe('mail attachments as documents', () => {
  let database: TestDatabase;
  let queue: Queue;
  let dovecot: RunningDovecot;
  let connectionId = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    dovecot = await startDovecot({ users: [USER] });
    connectionId = (await addConnection(database, { vendor: 'email', name: 'mailbox', settings: { host: dovecot.host, port: dovecot.port, tls: false, agentAddresses: ['@company.test'] }, credentials: { type: 'password', ...USER } })).id;
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 2_000 });
    await dovecot.close();
    await database.drop();
  });

  const config = () => loadConfig({ DATABASE_URL: database.url });
  const harvest = async () => {
    const { run } = await createRun(database.db, connectionId, 'manual', null);
    return executeRun({ database, keyring: testKeyring(), log: captureLogger().log, batchSize: 10, onStored: reactToHarvest(queue, config()) }, run.id, { lastAttempt: true });
  };

  it('extracts, scans and alerts with the page; skips the encrypted one; stores nothing twice', async () => {
    const offer = await textPdf(['Offer 2026-17, conditions below.', 'Refunds: your money is 100% refund guaranteed.']);
    const mail = rawMailWithAttachments({ from: 'Sam Agent <sam@company.test>', subject: 'Your offer', body: 'Please find the offer attached.' }, [
      { name: 'offer.pdf', contentType: 'application/pdf', content: offer },
      { name: 'locked.pdf', contentType: 'application/pdf', content: await encryptedPdf() },
    ]);
    await dovecot.deliver(USER, mail.raw);
    expect((await harvest())?.status).toBe('succeeded');

    const stored = await database.db.select().from(documents).orderBy(documents.filename);
    expect(stored.map((d) => [d.filename, d.status, d.skipReason, d.origin])).toEqual([
      ['locked.pdf', 'skipped', 'encrypted', 'email'],
      ['offer.pdf', 'text', null, 'email'],
    ]);
    const [message] = await database.db.select().from(messages).where(eq(messages.sourceId, mail.messageId));
    expect(stored[1]?.messageId).toBe(message?.id);
    expect(message?.attachments).toEqual(['offer.pdf', 'locked.pdf']);

    const handler = HANDLERS['compliance.scan-document']?.({ database, queue, log: captureLogger().log, config: config(), keyring: testKeyring(), artifacts: openArtifactStore(config()) });
    if (!handler) throw new Error('no handler');
    const { completed, failed } = await queue.drain('compliance.scan-document', handler);
    expect([completed, failed]).toEqual([1, []]);
    const alerts = await database.db.select().from(complianceAlerts);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ policyId: 'forbidden-refund-promise', documentId: stored[1]?.id, messageId: null, conversationId: message?.conversationId, evidence: [{ excerpt: '100% refund', page: 2 }] });

    // The mailbox read again from the start (a lost cursor): no new document, no new scan.
    await database.db.update(connections).set({ cursor: null }).where(eq(connections.id, connectionId));
    expect((await harvest())?.status).toBe('succeeded');
    expect(await database.db.select({ id: documents.id }).from(documents)).toHaveLength(2);
    expect((await queue.drain('compliance.scan-document', handler)).completed).toBe(0);

    const figures = await complianceFigures(database.db);
    expect(figures.sources).toEqual([expect.objectContaining({ source: 'email', messagesScanned: 0, documentsScanned: 1, documentsNotScanned: { encrypted: 1 }, alerts: 1 })]);
  });
});
