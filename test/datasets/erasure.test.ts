import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDir } from '../../src/training/worker/run-config.ts';
import { eq, sql } from 'drizzle-orm';
import { auditEvents, datasetVersions, drafts, fineTuningJobs, modelEvaluations, models, reviewPairs } from '../../src/db/schema/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { ErasureRequest } from '../../src/gdpr/erase.ts';
import { createErasure } from '../../src/gdpr/erasures.ts';
import { runErasure } from '../../src/gdpr/run.ts';
import { eraseServingCopies } from '../../src/gdpr/serving-copies.ts';
import type { Manifest } from '../../src/datasets/manifest.ts';
import { createVersion, getVersion } from '../../src/datasets/versions.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { harvestNow, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { addSolvedTicket, allArtifactText, createAndBuild, harvestSandbox, readAllSplits, tempHome, type HarvestedSandbox } from './helpers.ts';

const SUBJECT = { name: 'Theodora Quennell', email: 'theodora.quennell@example.net' };

/** Rows of every table in the public schema whose text contains `needle`. */
async function databaseMentions(database: TestDatabase, needle: string): Promise<Record<string, number>> {
  const tables = await database.db.execute<{ table_name: string }>(sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
  const found: Record<string, number> = {};
  for (const { table_name } of tables.rows) {
    const result = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${sql.identifier(table_name)} t WHERE position(${needle.toLowerCase()} in lower(t::text)) > 0`);
    if ((result.rows[0]?.n ?? 0) > 0) found[table_name] = result.rows[0]?.n ?? 0;
  }
  return found;
}

describe('GDPR erasure', () => {
  let database: TestDatabase;
  let harvested: HarvestedSandbox;
  const home = tempHome();
  const deps = () => ({ database, store: home.store, log: captureLogger().log, keyring: testKeyring(), queue: null, config: loadConfig({ TUNELOOP_HOME: home.home }) });
  /** Requests and runs an erasure to its end, as `tuneloop gdpr erase` does; returns its report. */
  const eraseSubject = async (request: ErasureRequest, actor: string) => {
    const row = await createErasure(database.db, testKeyring(), request, actor);
    const done = await runErasure(deps(), row.id);
    if (done?.status !== 'done') throw new Error(`erasure ended ${done?.status}`);
    return { ...(done.report as { database: Record<string, unknown> & { versions: Array<{ dataset: string; from: number; to: number; removedExamples: number }> }; files: Record<string, unknown>; subject: { sha256: string } }), row: done };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    harvested = await harvestSandbox(database, { seed: 21, tickets: 400, name: 'zd-gdpr' });
    const customers = ['Where is my parcel? I ordered a lamp ten days ago and have heard nothing since then.', 'I need an invoice for my last order with the company address on it, please.', 'Please close my account and delete my saved payment card.'];
    for (const [i, customer] of customers.entries()) {
      addSolvedTicket(harvested.sandbox, {
        requester: SUBJECT,
        subject: `Question ${i + 1} from Theodora Quennell`,
        customer: `${customer}\n\nBest,\nTheodora Quennell`,
        reply: `Hi Theodora Quennell, thanks for writing in. I have taken care of it and sent a confirmation to ${SUBJECT.email}. Anything else, just reply here.`,
        intent: 'edit_account',
      });
    }
    // Someone else mentions her email in their own ticket.
    addSolvedTicket(harvested.sandbox, {
      requester: { name: 'Bruno Feltmann', email: 'bruno.feltmann@example.org' },
      subject: 'Shared account',
      customer: `Please add my partner ${SUBJECT.email} to our shared household account so she can see the orders too.`,
      reply: 'Done: your partner now has access to the household account and will get an invitation email shortly.',
    });
    const run = await harvestNow(database, harvested.connection.id);
    expect(run?.status).toBe('succeeded');
  });
  afterAll(async () => {
    await harvested.close();
    await database.drop();
    home.remove();
  });

  it('removes the subject from the database and the artifact store, with successor versions and an audit record', async () => {
    const connections = [harvested.connection.id];
    const reply = await createAndBuild(database, home.store, { name: 'gdpr-reply', task: 'reply', config: { connections, filters: { minTargetChars: 10 } } });
    const triage = await createAndBuild(database, home.store, { name: 'gdpr-triage', task: 'triage', config: { connections } });
    // Built from January 2025 only: it never held the subject's (new) tickets and must stay as it is.
    const older = await createAndBuild(database, home.store, { name: 'gdpr-older', task: 'reply', config: { connections, until: '2025-06-01T00:00:00Z' } });
    const inFlight = await createVersion(database.db, older.dataset.id, 'build');
    await database.db.update(datasetVersions).set({ status: 'building' }).where(eq(datasetVersions.id, inFlight.id));

    expect(Object.keys(await databaseMentions(database, 'quennell'))).toEqual(expect.arrayContaining(['conversations', 'messages']));
    const replyBefore = reply.version.manifest as unknown as Manifest;

    // A model fine-tuned on the reply version, whose run kept a copy of the training data.
    const [job] = await database.db
      .insert(fineTuningJobs)
      .values({ backend: 'local', model: 'tiny', method: 'lora', hyperparameters: {}, seed: 1, task: 'reply', createdBy: 'test', datasetVersionId: reply.version.id })
      .returning();
    const [model] = await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: 'tiny', fineTuningJobId: job?.id, datasetVersionId: reply.version.id }).returning();
    const copy = join(runDir(home.home, job?.id ?? ''), 'data');
    mkdirSync(copy, { recursive: true });
    writeFileSync(join(copy, 'train.jsonl'), `{"messages":[{"role":"user","content":"${SUBJECT.email}"}]}\n`);

    // Serving's copies: a draft on her ticket, a final reply on someone else's naming her email, and
    // human-review pairs on every test example of the reply version (hers must go, the rest stay).
    const theirs = (await database.db.execute<{ source_id: string; connection_id: string }>(sql`SELECT source_id, connection_id FROM conversations WHERE requester->>'email' = ${SUBJECT.email} LIMIT 1`)).rows[0];
    const other = (await database.db.execute<{ source_id: string }>(sql`SELECT source_id FROM conversations WHERE coalesce(requester->>'email', '') <> ${SUBJECT.email} LIMIT 1`)).rows[0];
    await database.db.insert(drafts).values([
      { connectionId: theirs?.connection_id ?? '', source: 'zendesk', sourceId: theirs?.source_id ?? '', task: 'reply', status: 'posted', text: 'Hi Theodora, your lamp ships today.' },
      { connectionId: theirs?.connection_id ?? '', source: 'zendesk', sourceId: other?.source_id ?? '', task: 'reply', status: 'posted', text: 'Added.', finalReply: `Added ${SUBJECT.email} to the account.` },
    ]);
    const [evaluation] = await database.db.insert(modelEvaluations).values({ modelId: model?.id ?? '', status: 'succeeded', report: { testFile: replyBefore.splits.test.key } }).returning();
    const testPositions = Array.from({ length: replyBefore.splits.test.examples }, (_, position) => position);
    await database.db.insert(reviewPairs).values(testPositions.map((position) => ({ evaluationId: evaluation?.id ?? '', position, prompt: [], answerA: 'a', answerB: 'b', candidateSide: 'a' as const })));
    const hersInTest = (await database.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM dataset_lineage l JOIN conversations c ON c.id = l.conversation_id
      WHERE l.version_id = ${reply.version.id} AND l.split = 'test'
        AND (c.requester->>'email' = ${SUBJECT.email} OR EXISTS (SELECT 1 FROM messages m WHERE m.id = ANY(l.message_ids) AND position(${SUBJECT.email} in m.body) > 0))`)).rows[0]?.n ?? 0;

    const report = await eraseSubject({ email: 'Theodora.Quennell@example.net' }, 'test');
    expect(report.database).toMatchObject({ modelsFlagged: 1, draftsDeleted: 2, reviewPairsDeleted: hersInTest });
    expect(report.files).toMatchObject({ runCopies: 1 });
    const [left] = await database.db.select({ n: sql<number>`count(*)::int` }).from(reviewPairs);
    expect(left?.n).toBe(testPositions.length - hersInTest);
    expect(existsSync(copy)).toBe(false);
    const [flagged] = await database.db.select().from(models).where(eq(models.id, model?.id ?? ''));
    expect(flagged?.retrainRequiredAt).toBeInstanceOf(Date);
    expect(flagged?.retrainReason).toMatch(/GDPR erasure/);
    process.stdout.write(`erasure report: ${JSON.stringify(report)}\n`);
    expect(report.database).toMatchObject({ conversations: 3, messages: 7, buildsFailed: 1 });
    expect(report.database.versions.map((v) => [v.dataset, v.from, v.to]).sort()).toEqual([
      ['gdpr-reply', 1, 2],
      ['gdpr-triage', 1, 2],
    ]);
    expect(report.database.versions.find((v) => v.dataset === 'gdpr-reply')?.removedExamples).toBe(4);
    expect(report.files).toMatchObject({ datasetFiles: 6 });
    // Only the hashes are kept: no sealed work once done.
    expect(report.row.work).toBeNull();

    // Nothing of her is left: no row of any table, no file.
    expect(await databaseMentions(database, 'quennell')).toEqual({});
    expect(await databaseMentions(database, SUBJECT.email)).toEqual({});
    const files = (await allArtifactText(home.store)).toLowerCase();
    expect(files).not.toContain('quennell');
    expect(files).not.toContain(SUBJECT.email);

    // Old versions are erased and point to their successors; successors are ready and complete.
    const oldReply = await getVersion(database.db, reply.version.id);
    expect(oldReply).toMatchObject({ status: 'erased' });
    for (const split of ['train', 'validation', 'test'] as const) expect(await home.store.exists(replyBefore.splits[split].key)).toBe(false);
    const successor = await getVersion(database.db, oldReply?.supersededBy ?? '');
    const after = successor?.manifest as unknown as Manifest;
    expect(successor).toMatchObject({ status: 'ready', origin: 'erasure', parentVersionId: reply.version.id });
    const total = (m: Manifest) => m.splits.train.examples + m.splits.validation.examples + m.splits.test.examples;
    expect(total(after)).toBe(total(replyBefore) - 4);
    expect(after.erasure?.parentVersion).toBe(1);
    const lines = await readAllSplits(home.store, after);
    expect(lines.train.length).toBe(after.splits.train.examples);
    expect(successor?.contentHash).not.toBe(reply.version.contentHash);

    expect((await getVersion(database.db, older.version.id))?.status).toBe('ready');
    expect(await getVersion(database.db, inFlight.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/GDPR erasure/) });
    expect((await getVersion(database.db, triage.version.id))?.status).toBe('erased');

    const [audit] = await database.db.select().from(auditEvents).where(eq(auditEvents.action, 'gdpr.erasure'));
    expect(audit).toMatchObject({ actor: 'test', subjectType: 'data_subject', subjectId: report.subject.sha256 });
    expect(JSON.stringify(audit)).not.toMatch(/quennell/i);

    const again = await eraseSubject({ email: SUBJECT.email }, 'test');
    expect(again.database).toMatchObject({ conversations: 0, messages: 0, versions: [] });
    expect(again.files).toMatchObject({ datasetFiles: 0, otherFiles: [] });
  });

  it('erases by the vendor person id', async () => {
    const [row] = (
      await database.db.execute<{ id: string; n: number }>(sql`SELECT requester->>'id' AS id, count(*)::int AS n FROM conversations GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`)
    ).rows;
    const report = await eraseSubject({ sourceId: row?.id ?? '', connectionId: harvested.connection.id }, 'test');
    expect(report.database.conversations).toBe(row?.n);
    const left = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM conversations WHERE requester->>'id' = ${row?.id}`);
    expect(left.rows[0]?.n).toBe(0);
    await expect(eraseSubject({ email: 'a@b.example', sourceId: '1' } as never, 'test')).rejects.toThrow(/exactly one/);
  });
  it('removes the review pairs built from erased test examples, and only those', async () => {
    const [model] = await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: 'tiny' }).returning();
    const [evaluation] = await database.db.insert(modelEvaluations).values({ modelId: model?.id ?? '', status: 'succeeded', report: { testFile: 'datasets/x/y/test.jsonl' } }).returning();
    await database.db.insert(reviewPairs).values([0, 1, 2, 3, 4].map((position) => ({ evaluationId: evaluation?.id ?? '', position, prompt: [], answerA: 'a', answerB: 'b', candidateSide: 'b' as const })));
    const erased = await database.db.transaction((tx) => eraseServingCopies(tx, { conversationIds: [], email: null }, [{ testKey: 'datasets/x/y/test.jsonl', positions: [1, 3] }, { testKey: 'datasets/other/test.jsonl', positions: [0] }]));
    expect(erased).toEqual({ drafts: 0, reviewPairs: 2 });
    const left = await database.db.select({ position: reviewPairs.position }).from(reviewPairs).where(eq(reviewPairs.evaluationId, evaluation?.id ?? ''));
    expect(left.map((row) => row.position).sort()).toEqual([0, 2, 4]);
  });
});
