import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { datasetLineage } from '../../src/db/schema/index.ts';
import type { Manifest } from '../../src/datasets/manifest.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createAndBuild, harvestSandbox, readAllSplits, tempHome, type HarvestedSandbox } from './helpers.ts';
import { INTENT_FIELD_ID } from '../../integrations/zendesk/sandbox-store.ts';

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
    expect(Object.keys(manifest.labels.priority ?? {}).sort()).toEqual(['high', 'low', 'normal', 'urgent']);
    const files = await readAllSplits(home.store, manifest);
    const first = JSON.parse(files.train[0] ?? '{}') as { messages: Array<{ content: string }> };
    expect(Object.keys(JSON.parse(first.messages[2]?.content ?? '{}') as object)).toEqual(['intent', 'priority', 'language']);
  });
});
