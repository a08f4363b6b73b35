/**
 * Edits become data: reply drafts posted on harvested Zendesk sandbox tickets, the agents' final
 * replies compared with them by the real feedback step, then a `preference` dataset version built
 * through the same scrub, filter, dedup and grouped split as every task, with lineage to each draft.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations, datasetLineage, drafts, messages } from '../../src/db/schema/index.ts';
import type { Manifest } from '../../src/datasets/manifest.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { postDraftsWithFeedback, REWRITTEN_DRAFT } from './support.ts';
import { createAndBuild, harvestSandbox, readAllSplits, tempHome, type HarvestedSandbox } from '../datasets/helpers.ts';

describe('preference pairs from drafts the agents rewrote', () => {
  let database: TestDatabase;
  let harvested: HarvestedSandbox;
  const home = tempHome();
  const rewritten = new Set<string>();
  const kept = new Set<string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    harvested = await harvestSandbox(database, { seed: 31, tickets: 80, name: 'zd-preference' });
    const posted = await postDraftsWithFeedback(database, harvested.connection.id);
    for (const id of posted.kept) kept.add(id);
    for (const id of posted.rewritten) rewritten.add(id);
    expect(rewritten.size).toBeGreaterThanOrEqual(8);
  });
  afterAll(async () => {
    await harvested.close();
    await database.drop();
    home.remove();
  });

  it('builds one pair per rewritten draft (chosen = sent, rejected = draft), scrubbed, split by group, with lineage to the draft', async () => {
    const { version } = await createAndBuild(database, home.store, { name: 'prefs', task: 'preference', config: { connections: [harvested.connection.id], preference: { minPairs: 4 } } });
    expect(version.status).toBe('ready');
    const manifest = version.manifest as unknown as Manifest;
    expect(manifest.format).toMatch(/preference/);
    expect(manifest.steps.extract?.skipped.draft_kept).toBe(kept.size);
    const pairs = manifest.steps.dedup?.out ?? 0;
    // The same rewritten text in every pair stays: dedup looks at the customer turn and the sent reply.
    expect(pairs).toBeGreaterThan(0);
    expect(pairs).toBeLessThanOrEqual(rewritten.size);
    expect(manifest.splits.train.examples + manifest.splits.validation.examples + manifest.splits.test.examples).toBe(pairs);

    const files = await readAllSplits(home.store, manifest);
    const lineage = await database.db.select().from(datasetLineage).where(eq(datasetLineage.versionId, version.id));
    expect(lineage).toHaveLength(pairs);
    for (const row of lineage) {
      expect(rewritten.has(row.draftId ?? '')).toBe(true);
      const line = JSON.parse(files[row.split][row.position] ?? '{}') as { prompt: Array<{ role: string; content: string }>; chosen: Array<{ content: string }>; rejected: Array<{ content: string }> };
      expect(line.prompt[0]?.role).toBe('system');
      expect(line.prompt.at(-1)?.role).toBe('user');
      expect(line.rejected).toEqual([{ role: 'assistant', content: REWRITTEN_DRAFT }]);
      const [draft] = await database.db.select().from(drafts).where(eq(drafts.id, row.draftId!));
      const [sent] = await database.db.select().from(messages).where(eq(messages.id, row.messageIds.at(-1)!));
      expect(sent?.body).toBe(draft?.finalReply);
      // Scrubbed like any reply: the agent's name in the sent reply never reaches the file.
      expect(line.chosen[0]?.content).not.toContain(sent?.author?.name ?? '\u0000');
      expect(line.chosen[0]?.content.length).toBeGreaterThan(0);
    }
    // The grouped split: every group's pairs share one split.
    const splitOf = new Map<string, string>();
    for (const row of lineage) {
      const [conversation] = await database.db.select({ requester: conversations.requester }).from(conversations).where(eq(conversations.id, row.conversationId!));
      const key = conversation?.requester?.id ?? String(row.conversationId);
      expect(splitOf.get(key) ?? row.split).toBe(row.split);
      splitOf.set(key, row.split);
    }
  });

  it('fails a build with too few pairs, saying how many it found and how many it needs', async () => {
    // The build job turns this PermanentBuildError into a failed version with the same message (src/datasets/handler.ts).
    await expect(createAndBuild(database, home.store, { name: 'prefs-strict', task: 'preference', config: { connections: [harvested.connection.id], preference: { minPairs: 1000 } } })).rejects.toThrow(
      /found \d+ preference pairs? .*needs at least 1000 \(preference\.minPairs\)/,
    );
  });
});
