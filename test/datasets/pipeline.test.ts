import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { diffVersions } from '../../src/datasets/diff.ts';
import { harvestNow } from '../support/harvest.ts';
import { datasetLineage } from '../../src/db/schema/index.ts';
import type { Manifest } from '../../src/datasets/manifest.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addSolvedTicket, buildNext, createAndBuild, harvestSandbox, readAllSplits, tempHome, type HarvestedSandbox } from './helpers.ts';
import { INTENT_FIELD_ID } from '../../integrations/zendesk/sandbox/store.ts';

const TICKETS = 1_500;

describe('curation pipeline on harvested Zendesk sandbox conversations', () => {
  let database: TestDatabase;
  let harvested: HarvestedSandbox;
  const home = tempHome();

  beforeAll(async () => {
    database = await createTestDatabase();
    harvested = await harvestSandbox(database, { seed: 11, tickets: TICKETS, name: 'zd-pipeline' });
  });
  afterAll(async () => {
    await harvested.close();
    await database.drop();
    home.remove();
  });

  it('builds a reply dataset with sensible counts, a full manifest and lineage for every line', async () => {
    const { version } = await createAndBuild(database, home.store, { name: 'replies', task: 'reply', config: { connections: [harvested.connection.id] } });
    expect(version.status).toBe('ready');
    const manifest = version.manifest as unknown as Manifest;
    process.stdout.write(`reply manifest (sandbox, ${TICKETS} tickets):\n${JSON.stringify({ steps: manifest.steps, splits: manifest.splits, tokens: manifest.tokens.all }, null, 2)}\n`);
    const { steps } = manifest;
    expect(steps.select?.in).toBe(TICKETS);
    expect(steps.select?.out).toBeGreaterThan(TICKETS * 0.3);
    expect(steps.select?.dropped.unresolved).toBeGreaterThan(0);
    expect(steps.dedup?.out).toBe((steps.split?.train ?? 0) + (steps.split?.validation ?? 0) + (steps.split?.test ?? 0));
    expect(steps.scrub?.replacements.NAME).toBeGreaterThan(steps.select?.out ?? 0);
    const files = await readAllSplits(home.store, manifest);
    expect(files.train.length).toBe(manifest.splits.train.examples);
    expect(files.train.length / (steps.dedup?.out ?? 1)).toBeGreaterThan(0.7);
    const lineage = await database.db.select().from(datasetLineage).where(eq(datasetLineage.versionId, version.id));
    expect(lineage.length).toBe(steps.dedup?.out);
    for (const line of files.train.slice(0, 50)) {
      const example = JSON.parse(line) as { messages: Array<{ role: string; content: string; weight?: number }> };
      expect(example.messages[0]?.role).toBe('system');
      expect(example.messages.at(-1)).toMatchObject({ role: 'assistant', weight: 1 });
      expect(example.messages[1]?.role).toBe('user');
    }
    expect(version.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('builds a triage dataset whose labels come from the label map', async () => {
    const { version } = await createAndBuild(database, home.store, {
      name: 'triage',
      task: 'triage',
      config: { connections: [harvested.connection.id], labels: { intent: { source: 'custom_field', field: String(INTENT_FIELD_ID) }, priority: { source: 'priority' }, language: { source: 'language' } } },
    });
    const manifest = version.manifest as unknown as Manifest;
    process.stdout.write(`triage manifest labels: ${JSON.stringify(manifest.labels)}\n`);
    expect(Object.keys(manifest.labels.intent ?? {}).length).toBeGreaterThan(10);
    // Drop-down codes are labels, not text: the name tagger once made contact_human_agent contact[NAME_1]_agent.
    expect(Object.keys(manifest.labels.intent ?? {})).toContain('contact_human_agent');
    expect(Object.keys(manifest.labels.intent ?? {}).filter((label) => label.includes('['))).toEqual([]);
    expect(Object.keys(manifest.labels.priority ?? {}).sort()).toEqual(['high', 'low', 'normal', 'urgent']);
    const files = await readAllSplits(home.store, manifest);
    const first = JSON.parse(files.train[0] ?? '{}') as { messages: Array<{ content: string }> };
    expect(Object.keys(JSON.parse(first.messages[2]?.content ?? '{}') as object)).toEqual(['intent', 'priority', 'language']);
  });

  it('keeps every old example in its split when data is added, and says when a rebuild is identical', async () => {
    const { dataset, version: v1 } = await createAndBuild(database, home.store, { name: 'stable', task: 'reply', config: { connections: [harvested.connection.id] } });
    const same = await buildNext(database, home.store, dataset.id);
    expect(same.contentHash).toBe(v1.contentHash);
    expect((same.manifest as unknown as Manifest).identicalTo).toBe(1);

    // New tickets: from new customers, and from an existing one (whose group already has a split).
    const existing = await database.db.execute<{ name: string; email: string }>(sql`SELECT requester->>'name' AS name, requester->>'email' AS email FROM conversations WHERE status = 'solved' ORDER BY id LIMIT 1`);
    const known = existing.rows[0] as { name: string; email: string };
    for (let i = 0; i < 40; i++) {
      addSolvedTicket(harvested.sandbox, {
        requester: i % 4 === 0 ? known : { name: `New Customer${i}`, email: `new.customer${i}@example.org` },
        subject: `Delivery question ${i}`,
        customer: `My parcel number ${i} has not moved for ${i + 3} days and the courier website shows no update for the ${i}th shipment.`,
        reply: `Thanks for waiting. I asked the courier about shipment ${i}; it will arrive within ${i % 5 + 1} working days.`,
      });
    }
    expect((await harvestNow(database, harvested.connection.id))?.status).toBe('succeeded');
    const v3 = await buildNext(database, home.store, dataset.id);
    const diff = await diffVersions(database.db, v1, v3);
    process.stdout.write(`diff v1 → v3: ${JSON.stringify(diff.examples)}\n`);
    expect(diff.examples.added).toBeGreaterThanOrEqual(35);
    expect(diff.examples.movedSplit).toBe(0);
    expect(diff.examples.kept).toBeGreaterThan(diff.examples.removed * 10);
    expect(diff.identical).toBe(false);

    // The known customer's new tickets joined the split of their earlier ones.
    const splits = await database.db.execute<{ split: string }>(sql`
      SELECT DISTINCT l.split FROM dataset_lineage l JOIN conversations c ON c.id = l.conversation_id
      WHERE l.version_id = ${v3.id} AND c.requester->>'email' = ${known.email}`);
    expect(splits.rows).toHaveLength(1);
  });
});
