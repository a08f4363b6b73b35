/**
 * A PDF attached to a Zendesk sandbox ticket, with a violation on its second page: the harvest
 * downloads it (content_url, with the connection's credentials), stores it as a document of its
 * comment, and its scan raises one alert on the ticket's conversation with page evidence. The
 * seeded screenshots are not downloaded, and a second harvest stores nothing twice.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { complianceAlerts, conversations, documents } from '../../src/db/schema/index.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { textPdf } from '../support/documents.ts';
import { testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { useScannedHarvest } from '../support/scanned-harvest.ts';

describe('Zendesk ticket attachments', () => {
  const sandbox = createZendeskSandbox({ seed: 23, tickets: 20 });
  const scan = useScannedHarvest(sandbox, (url) => ({ vendor: 'zendesk', name: 'zd', settings: { baseUrl: url }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } }));

  it('downloads the PDF, scans it, and alerts with page 2 on the ticket', async () => {
    const ticket = [...sandbox.store.tickets.values()].find((t) => t.assigneeId !== null && t.status !== 'deleted');
    if (!ticket?.assigneeId) throw new Error('no assigned ticket in the seed');
    const pdf = await textPdf(['Terms of our offer, page one.', 'Refunds: your money is 100% refund guaranteed.']);
    const comment = sandbox.store.addComment(ticket, { authorId: ticket.assigneeId, body: 'Please find our offer attached.', public: true });
    comment.attachments.push({ id: 990_001, fileName: 'offer.pdf', contentType: 'application/pdf', size: pdf.byteLength, content: pdf });
    expect((await scan.harvest())?.status).toBe('succeeded');

    const stored = await scan.database.db.select().from(documents);
    // Only the PDF: the seeded screenshots are images and never downloaded.
    expect(stored.map((d) => [d.filename, d.status, d.origin])).toEqual([['offer.pdf', 'text', 'zendesk']]);
    const handler = HANDLERS['compliance.scan-document']?.({ database: scan.database, queue: scan.queue, log: captureLogger().log, config: scan.config(), keyring: testKeyring(), artifacts: openArtifactStore(scan.config()) });
    if (!handler) throw new Error('no handler');
    expect((await scan.queue.drain('compliance.scan-document', handler)).completed).toBe(1);
    const [conversation] = await scan.database.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.sourceId, String(ticket.id)));
    const alerts = await scan.database.db.select().from(complianceAlerts);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ policyId: 'forbidden-refund-promise', documentId: stored[0]?.id, conversationId: conversation?.id, evidence: [{ excerpt: '100% refund', page: 2 }] });

    // The ticket changes again: harvested again, the attachment is not stored or scanned twice.
    sandbox.store.addComment(ticket, { authorId: ticket.requesterId, body: 'Thanks, received.', public: true });
    expect((await scan.harvest())?.status).toBe('succeeded');
    expect(await scan.database.db.select({ id: documents.id }).from(documents)).toHaveLength(1);
    expect((await scan.queue.drain('compliance.scan-document', handler)).completed).toBe(0);
  });
});
