import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { datasetVersions } from '../../src/db/schema/index.ts';
import type { Manifest } from '../../src/datasets/manifest.ts';
import { parseUpload, UploadValidationError } from '../../src/datasets/upload/parse.ts';
import { uploadVersion } from '../../src/datasets/upload/version.ts';
import { createDataset, type DatasetRow } from '../../src/datasets/versions.ts';
import { addConnection } from '../support/harvest.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { readAllSplits, tempHome } from './helpers.ts';

const good = (user: string, assistant: string, extra: Record<string, unknown> = {}) => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }], ...extra });

function problemsOf(run: () => unknown): Array<{ line: number; message: string }> {
  try {
    run();
  } catch (error) {
    if (error instanceof UploadValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('upload validation', () => {
  it('names every bad JSONL line and why', () => {
    const file = [
      good('Where is my order?', 'It ships tomorrow.'),
      '',
      '{"messages": [',
      JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }),
      JSON.stringify({ messages: [{ role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Hi' }] }),
      JSON.stringify({ messages: [{ role: 'user', content: '   ' }, { role: 'assistant', content: 'x' }] }),
      JSON.stringify({ messages: [{ role: 'robot', content: 'beep' }, { role: 'assistant', content: 'x' }] }),
      good('a', 'b', { split: 'holdout' }),
      good('a', 'b', { extra: true }),
      JSON.stringify({ messages: [{ role: 'user', content: 'Hi', weight: 1 }, { role: 'assistant', content: 'x' }] }),
    ].join('\n');
    const problems = problemsOf(() => parseUpload('reply', 'jsonl', file));
    expect([...new Set(problems.map((p) => p.line))]).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    const on = (line: number) => problems.filter((p) => p.line === line).map((p) => p.message).join(' | ');
    expect(on(3)).toBe('not valid JSON');
    expect(on(4)).toMatch(/at least a user and an assistant/);
    expect(on(5)).toMatch(/last message must be the assistant/);
    expect(on(6)).toMatch(/messages\.0\.content: content must not be empty/);
    expect(on(7)).toMatch(/messages\.0\.role/);
    expect(on(8)).toMatch(/^split/);
    expect(on(9)).toMatch(/extra/);
    expect(on(10)).toMatch(/only assistant messages have a weight/);
  });

  it('validates CSV rows with their line numbers (quoted newlines included) and the header', () => {
    const csv = 'user,assistant,split\n"Where is\nmy order?",It ships tomorrow.,train\nHello,,test\nThanks,Welcome,later\n';
    const problems = problemsOf(() => parseUpload('reply', 'csv', csv));
    expect(problems).toEqual([
      { line: 4, message: 'messages.1.content: content must not be empty' },
      { line: 5, message: expect.stringMatching(/^split/) },
    ]);
    expect(problemsOf(() => parseUpload('reply', 'csv', 'question,answer\na,b\n'))[0]?.message).toMatch(/header must have the columns user and assistant/);
    expect(problemsOf(() => parseUpload('reply', 'csv', 'user,assistant\n"unclosed,x\n'))[0]?.message).toMatch(/^CSV: /);
    const rows = parseUpload('reply', 'csv', 'system,user,assistant\nBe brief.,Where is my order?,It ships tomorrow.\n');
    expect(rows).toEqual([{ line: 2, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Where is my order?' }, { role: 'assistant', content: 'It ships tomorrow.' }] }]);
  });

  it('requires JSON labels as the target of a triage upload', () => {
    expect(problemsOf(() => parseUpload('triage', 'jsonl', good('Refund please', 'refund')))[0]?.message).toMatch(/JSON object of string labels/);
    expect(parseUpload('triage', 'jsonl', good('Refund please', '{"intent":"refund"}'))).toHaveLength(1);
    expect(problemsOf(() => parseUpload('reply', 'jsonl', '\n\n'))[0]?.message).toBe('the file has no rows');
  });
});

describe('upload into a dataset', () => {
  let database: TestDatabase;
  let dataset: DatasetRow;
  const home = tempHome();
  const deps = () => ({ database, store: home.store, log: captureLogger().log });

  beforeAll(async () => {
    database = await createTestDatabase();
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-upload', settings: { baseUrl: 'http://127.0.0.1:1' }, credentials: { type: 'api_token', email: 'a@example.com', token: 't' } });
    dataset = await createDataset(database.db, { name: 'curated', task: 'reply', config: { connections: [connection.id] } }, 'test');
  });
  afterAll(async () => {
    await database.drop();
    home.remove();
  });

  it('rejects a bad file whole: no version, no files', async () => {
    const file = [good('Where is my order?', 'It ships tomorrow.'), '{broken'].join('\n');
    await expect(uploadVersion(deps(), dataset, 'jsonl', file, 'test')).rejects.toThrow(/line 2: not valid JSON/);
    expect(await database.db.select().from(datasetVersions).where(eq(datasetVersions.datasetId, dataset.id))).toEqual([]);
    expect(await home.store.list('')).toEqual([]);
  });

  it('stores a good file as a new version: scrubbed, deduplicated, split as asked', async () => {
    const file = [
      good('My card 4111 1111 1111 1111 was charged twice. Anna Schmidt', 'Sorry Anna, I refunded the second charge.', { split: 'test' }),
      good('Where is my order?', 'It ships tomorrow.', { split: 'train' }),
      good('Where is my order?', 'It ships tomorrow.', { split: 'train' }),
      good('Can I change my address?', 'Yes, in your account settings under Addresses.'),
    ].join('\n');
    const version = await uploadVersion(deps(), dataset, 'jsonl', file, 'test');
    expect(version).toMatchObject({ status: 'ready', origin: 'upload', version: 1 });
    const manifest = version.manifest as unknown as Manifest;
    expect(manifest.steps.dedup).toMatchObject({ in: 4, out: 3, dropped: { exact: 1 } });
    expect(manifest.sources.upload).toMatchObject({ format: 'jsonl', rows: 4 });
    const files = await readAllSplits(home.store, manifest);
    expect(files.test).toHaveLength(1);
    expect(files.test[0]).toContain('[CARD_1]');
    expect(files.test[0]).not.toContain('4111');
    expect(files.test[0]).not.toContain('Schmidt');
    expect(files.train.filter((l) => l.includes('ships tomorrow'))).toHaveLength(1);

    const csv = await uploadVersion(deps(), dataset, 'csv', 'user,assistant\nWhere is my order?,It ships tomorrow.\n', 'test');
    expect(csv.version).toBe(2);
  });
});
