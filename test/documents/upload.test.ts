/**
 * Documents uploaded through POST /api/v1/documents on a real Postgres and queue: the PDF's text is
 * extracted, the scan job (run by its real handler, twice as a retry would) raises one alert per
 * policy with page evidence, the alert is posted to the Slack sandbox once; bad documents are
 * stored as skipped with their reason and raise nothing.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN } from '../../integrations/slack/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { auditEvents, complianceAlerts } from '../../src/db/schema/index.ts';
import type { HubDeps } from '../../src/deps.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testDeps } from '../support/app.ts';
import { captureLogger } from '../support/logger.ts';
import { runCli } from '../support/cli.ts';
import { docx, encryptedPdf, imageOnlyPdf, textPdf, zipBomb } from '../support/documents.ts';

const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';

describe('POST /api/v1/documents', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: HubDeps;
  let app: ReturnType<typeof createApp>;
  let auth: Record<string, string>;
  const slack = createSlackSandbox({ seed: 5, threads: 1 });
  let slackServer: { apiUrl: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    slackServer = await slack.listen();
    const base = testDeps(database, queue, { COMPLIANCE_SLACK_CHANNEL: CHANNEL, SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN, SLACK_API_URL: slackServer.apiUrl, DOCUMENT_MAX_BYTES: String(2 * 1024 * 1024) });
    deps = { ...base, queue };
    app = createApp(deps);
    auth = { Authorization: `Bearer ${(await createToken(database.db, 'officer', 'test')).token}` };
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 2_000 });
    await slackServer.close();
    await database.drop();
  });

  async function drain(name: 'compliance.scan-document' | 'slack.notify'): Promise<number> {
    const handler = HANDLERS[name]?.(deps);
    if (!handler) throw new Error(`no handler for ${name}`);
    const { completed, failed } = await queue.drain(name, handler as never);
    expect(failed).toEqual([]);
    return completed;
  }

  const upload = (bytes: Uint8Array, filename: string, direction?: string) => {
    const form = new FormData();
    form.set('file', new File([bytes], filename));
    if (direction) form.set('direction', direction);
    return app.request('/api/v1/documents', { method: 'POST', headers: auth, body: form });
  };

  it('scans a PDF with a violation on page 2: one alert with page evidence, posted to Slack once', async () => {
    const bytes = await textPdf(['Offer for ACME, page one is harmless.', 'Terms: your money is 100% refund guaranteed.']);
    const response = await upload(bytes, 'offer.pdf');
    expect(response.status).toBe(201);
    const document = (await response.json()) as { id: number; status: string; pages: number; format: string };
    expect(document).toMatchObject({ status: 'text', pages: 2, format: 'pdf' });
    // The same upload again is the same document, not a second one.
    const again = await upload(bytes, 'offer-copy.pdf');
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: number }).id).toBe(document.id);

    expect(await drain('compliance.scan-document')).toBe(1);
    const handler = HANDLERS['compliance.scan-document']?.(deps);
    await handler?.({ documentId: document.id }, { id: randomUUID(), signal: new AbortController().signal, retryCount: 1 });
    const alerts = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.documentId, document.id));
    expect(alerts.map((alert) => alert.policyId)).toEqual(['forbidden-refund-promise']);
    const [span] = alerts[0]?.evidence ?? [];
    expect(span).toMatchObject({ excerpt: '100% refund', kind: 'promise', page: 2, pageOffset: 'Terms: your money is '.length });

    expect(await drain('slack.notify')).toBe(1);
    const posts = slack.store.posted.filter((entry) => entry.method === 'chat.postMessage' && JSON.stringify(entry.blocks).includes(alerts[0]?.id ?? '-'));
    expect(posts).toHaveLength(1);
    const blocks = JSON.stringify(posts[0]?.blocks);
    expect(blocks).toContain('page 2');
    expect(blocks).toContain('offer.pdf');
    const audit = await database.db.select().from(auditEvents).where(eq(auditEvents.subjectId, alerts[0]?.id ?? '-'));
    expect(audit.map((event) => event.action)).toContain('alert.raised');

    const shown = await app.request(`/api/v1/documents/${document.id}`, { headers: auth });
    expect(((await shown.json()) as { alerts: Array<{ documentId: number; evidence: unknown[] }> }).alerts).toMatchObject([{ documentId: document.id, evidence: [{ page: 2 }] }]);
  });

  it('judges an upload by its direction: an inbound letter is checked by inbound policies', async () => {
    const response = await upload(await docx(['Dear team,', 'my lawyer will be in touch about this.']), 'complaint.docx', 'inbound');
    const document = (await response.json()) as { id: number; format: string };
    expect(document.format).toBe('docx');
    await drain('compliance.scan-document');
    const alerts = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.documentId, document.id));
    expect(alerts.map((alert) => [alert.policyId, alert.evidence[0]?.page])).toEqual([['legal-threat', 1]]);
    expect((await upload(new TextEncoder().encode('x'), 'a.txt', 'sideways')).status).toBe(400);
  });

  it('stores bad documents as skipped or without text, with the reason, and raises nothing', async () => {
    const cases: Array<[string, Uint8Array, string, string | null]> = [
      ['scan.pdf', await imageOnlyPdf(), 'no_text_layer', null],
      ['locked.pdf', await encryptedPdf(), 'skipped', 'encrypted'],
      ['bomb.docx', zipBomb(), 'skipped', 'zip_bomb'],
      ['photo.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'skipped', 'unsupported_type'],
    ];
    for (const [name, bytes, status, reason] of cases) {
      const response = await upload(bytes, name);
      expect(response.status, name).toBe(201);
      expect(await response.json(), name).toMatchObject({ status, skipped: reason ? { reason } : null });
    }
    expect(await drain('compliance.scan-document')).toBe(0);
    const tooBig = await app.request('/api/v1/documents?filename=big.txt', { method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain' }, body: new Uint8Array(3 * 1024 * 1024) });
    expect(tooBig.status).toBe(413);
    const noName = await app.request('/api/v1/documents', { method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain' }, body: 'hello' });
    expect(noName.status).toBe(400);
  });

  it('counts per source and per policy: scanned, not scanned by reason, alerts, false-positive rate (API and CLI)', async () => {
    const [promise] = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.policyId, 'forbidden-refund-promise'));
    const decided = await app.request(`/api/v1/alerts/${promise?.id}/transitions`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ to: 'false_positive', note: 'a quote from the law' }) });
    expect(decided.status).toBe(200);
    const response = await app.request('/api/v1/compliance/figures', { headers: auth });
    const figures = await response.json();
    expect(figures).toEqual({
      since: null,
      sources: [
        {
          source: 'upload',
          messagesScanned: 0,
          documentsScanned: 2,
          documentsNotScanned: { no_text_layer: 1, encrypted: 1, zip_bomb: 1, unsupported_type: 1 },
          alerts: 2,
          decided: 1,
          falsePositives: 1,
          falsePositiveRate: 1,
        },
      ],
      policies: [
        { policyId: 'forbidden-refund-promise', alerts: 1, decided: 1, falsePositives: 1, falsePositiveRate: 1, bySource: { upload: { alerts: 1, decided: 1, falsePositives: 1, falsePositiveRate: 1 } } },
        { policyId: 'legal-threat', alerts: 1, decided: 0, falsePositives: 0, falsePositiveRate: null, bySource: { upload: { alerts: 1, decided: 0, falsePositives: 0, falsePositiveRate: null } } },
      ],
    });
    expect((await app.request('/api/v1/compliance/figures?since=yesterday', { headers: auth })).status).toBe(400);
    const later = (await (await app.request(`/api/v1/compliance/figures?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { headers: auth })).json()) as { sources: unknown[] };
    expect(later.sources).toEqual([]);
    const cli = runCli(['alerts', 'figures', '--json'], { DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(figures);
  });
});
