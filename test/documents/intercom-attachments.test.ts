/**
 * A PDF attached to an Intercom sandbox conversation part, with a violation on its second page: the
 * harvest downloads it from the part's signed attachment link (without the access token: the link
 * is its own credential), stores it as a document of that part, and its scan raises one alert on the
 * conversation with page evidence. Seeded screenshots are not downloaded; a second harvest stores
 * nothing twice; a link that stopped answering leaves the document out without failing the harvest.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createIntercomSandbox, SANDBOX_DEFAULTS } from '../../integrations/intercom/sandbox/index.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { complianceAlerts, conversations, documents } from '../../src/db/schema/index.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { textPdf } from '../support/documents.ts';
import { testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { useScannedHarvest } from '../support/scanned-harvest.ts';

describe('Intercom conversation part attachments', () => {
  const sandbox = createIntercomSandbox({ seed: 23, conversations: 20, rateLimits: false });
  const scan = useScannedHarvest(sandbox, (url) => ({ vendor: 'intercom', name: 'ic', settings: { baseUrl: url }, credentials: { type: 'access_token', accessToken: SANDBOX_DEFAULTS.accessToken } }));

  it('downloads the PDF through its signed link, scans it, and alerts with page 2 on the conversation', async () => {
    const conversation = [...sandbox.store.conversations.values()].find((c) => c.adminAssigneeId !== null);
    if (!conversation?.adminAssigneeId) throw new Error('no assigned conversation in the seed');
    const pdf = await textPdf(['Terms of our offer, page one.', 'Refunds: your money is 100% refund guaranteed.']);
    sandbox.store.addPart(conversation, { partType: 'comment', body: 'Please find our offer attached.', author: { type: 'admin', id: conversation.adminAssigneeId }, attachments: [{ name: 'offer.pdf', contentType: 'application/pdf', size: pdf.byteLength, content: pdf }] });
    expect((await scan.harvest())?.status).toBe('succeeded');

    const stored = await scan.database.db.select().from(documents);
    // Only the PDF: the seeded screenshots are images and never downloaded.
    expect(stored.map((d) => [d.filename, d.status, d.origin])).toEqual([['offer.pdf', 'text', 'intercom']]);
    expect(sandbox.store.downloads.served).toEqual([{ key: expect.any(String), status: 200, authorization: null }]);
    const handler = HANDLERS['compliance.scan-document']?.({ database: scan.database, queue: scan.queue, log: captureLogger().log, config: scan.config(), keyring: testKeyring(), artifacts: openArtifactStore(scan.config()) });
    if (!handler) throw new Error('no handler');
    expect((await scan.queue.drain('compliance.scan-document', handler)).completed).toBe(1);
    const [row] = await scan.database.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.sourceId, conversation.id));
    const alerts = await scan.database.db.select().from(complianceAlerts);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ policyId: 'forbidden-refund-promise', documentId: stored[0]?.id, conversationId: row?.id, evidence: [{ excerpt: '100% refund', page: 2 }] });

    // The conversation changes again: harvested again, the attachment is not stored or scanned twice.
    sandbox.store.addPart(conversation, { partType: 'comment', body: 'Thanks, received.', author: { type: 'user', id: conversation.contactId }, attachments: [] });
    expect((await scan.harvest())?.status).toBe('succeeded');
    expect(await scan.database.db.select({ id: documents.id }).from(documents)).toHaveLength(1);
    expect((await scan.queue.drain('compliance.scan-document', handler)).completed).toBe(0);
  });

  it('a link that no longer answers leaves its document out; the conversation is still stored', async () => {
    const conversation = [...sandbox.store.conversations.values()].find((c) => c.adminAssigneeId !== null && c.parts.every((part) => !part.attachments.some((a) => a.content)));
    if (!conversation?.adminAssigneeId) throw new Error('no second assigned conversation in the seed');
    // The upload was removed from the file host: its link answers 404.
    sandbox.store.addPart(conversation, { partType: 'comment', body: 'The contract is attached.', author: { type: 'admin', id: conversation.adminAssigneeId }, attachments: [{ name: 'contract.pdf', contentType: 'application/pdf', size: 1_000 }] });
    expect((await scan.harvest())?.status).toBe('succeeded');
    expect((await scan.database.db.select({ filename: documents.filename }).from(documents)).map((d) => d.filename)).toEqual(['offer.pdf']);
    expect(sandbox.store.downloads.served.at(-1)).toMatchObject({ status: 404, authorization: null });
  });
});
