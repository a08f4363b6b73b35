/**
 * A PDF an agent sends with an email from a Salesforce sandbox case (Salesforce Files: a
 * ContentDocumentLink from the EmailMessage), with a violation on its second page: the harvest asks
 * for the files of emails that say HasAttachment, downloads the ContentVersion's VersionData with
 * the session's token, stores it as a document of that email, and its scan raises one alert on the
 * case with page evidence and a Task on the case. Images are not downloaded; a second harvest
 * stores nothing twice.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createSalesforceSandbox } from '../../integrations/salesforce/sandbox/index.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { complianceAlerts, conversations, documents, messages } from '../../src/db/schema/index.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { textPdf } from '../support/documents.ts';
import { testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { useScannedHarvest } from '../support/scanned-harvest.ts';

describe('Salesforce email files', () => {
  const sandbox = createSalesforceSandbox({ seed: 23, cases: 12, apiLimit: 1_000_000 });
  const scan = useScannedHarvest(sandbox, (url) => ({ vendor: 'salesforce', name: 'sf', settings: { instanceUrl: url }, credentials: { type: 'password', username: sandbox.credentials.username, password: sandbox.credentials.password, securityToken: sandbox.credentials.securityToken } }));

  it('downloads the PDF sent with an email, scans it, and alerts with page 2 on the case', async () => {
    const [first, second] = sandbox.store.threads;
    if (!first || !second) throw new Error('no cases in the seed');
    const pdf = await textPdf(['Terms of our offer, page one.', 'Refunds: your money is 100% refund guaranteed.']);
    const emailId = sandbox.store.sendEmail(first.caseId, 'Please find our offer attached.', [{ title: 'offer', extension: 'pdf', content: pdf }]);
    // A screenshot sent with another case's email: an image, never downloaded.
    sandbox.store.sendEmail(second.caseId, 'Here is where to click.', [{ title: 'screenshot', extension: 'png', content: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }]);
    const run = await scan.harvest();
    expect(run?.status, run?.error ?? '').toBe('succeeded');

    const stored = await scan.database.db.select().from(documents);
    expect(stored.map((d) => [d.filename, d.status, d.origin])).toEqual([['offer.pdf', 'text', 'salesforce']]);
    const [message] = await scan.database.db.select({ id: messages.id }).from(messages).where(eq(messages.sourceId, emailId));
    expect(stored[0]?.messageId).toBe(message?.id);
    // Only the PDF's version is downloaded. (The case is read twice by this first harvest: its new
    // email also turns up in the scan of emails changed during the run, which repeats by design.)
    const pdfVersion = [...sandbox.store.rows('ContentVersion')].find((row) => row.Title === 'offer')?.Id;
    const downloads = sandbox.store.requestLog.filter((entry) => entry.path.endsWith('/VersionData'));
    expect(new Set(downloads.map((entry) => `${entry.path.split('/').at(-2)} ${entry.status}`))).toEqual(new Set([`${String(pdfVersion)} 200`]));
    // The files are asked for only with emails that say HasAttachment: one query per read of such a case.
    expect(sandbox.store.requestLog.filter((entry) => entry.soql?.includes('FROM ContentDocumentLink')).length).toBeLessThanOrEqual(2);

    const handler = HANDLERS['compliance.scan-document']?.({ database: scan.database, queue: scan.queue, log: captureLogger().log, config: scan.config(), keyring: testKeyring(), artifacts: openArtifactStore(scan.config()) });
    if (!handler) throw new Error('no handler');
    expect((await scan.queue.drain('compliance.scan-document', handler)).completed).toBe(1);
    const [conversation] = await scan.database.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.sourceId, first.caseId));
    const alerts = await scan.database.db.select().from(complianceAlerts);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ policyId: 'forbidden-refund-promise', documentId: stored[0]?.id, conversationId: conversation?.id, evidence: [{ excerpt: '100% refund', page: 2 }] });
    // The case owner sees it where they work: a Task on the Case, as for alerts on case messages.
    const task = sandbox.store.get(alerts[0]?.salesforceTaskId ?? '');
    expect(task?.objectName).toBe('Task');
    expect(String(task?.row.WhatId).slice(0, 15)).toBe(first.caseId.slice(0, 15));

    // The customer answers: the case is harvested again, the attachment is not stored or scanned twice.
    sandbox.store.touchCase(first.caseId);
    expect((await scan.harvest())?.status).toBe('succeeded');
    expect(await scan.database.db.select({ id: documents.id }).from(documents)).toHaveLength(1);
    expect((await scan.queue.drain('compliance.scan-document', handler)).completed).toBe(0);
  });
});
