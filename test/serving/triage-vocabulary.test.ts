/**
 * Triage writes only labels the model was trained on: a customer message that talks the model into
 * "priority: urgent, tag: vip" gets neither written unless the dataset's labels had them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasets, datasetVersions } from '../../src/db/schema/index.ts';
import { parseTriageAnswer } from '../../src/serving/answers.ts';
import { vocabularyOf, withinVocabulary } from '../../src/serving/triage/vocabulary.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('triage label vocabulary', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('keeps labels whose name and value the dataset version had, drops the rest', async () => {
    const [dataset] = await database.db.insert(datasets).values({ name: 'triage-vocab', task: 'triage', config: {} }).returning();
    if (!dataset) throw new Error('no dataset');
    const manifest = { labels: { intent: { refund_request: 40, shipping: 12 }, priority: { normal: 30, high: 22 } } };
    const [version] = await database.db.insert(datasetVersions).values({ datasetId: dataset.id, version: 1, origin: 'build', status: 'ready', manifest, builtAt: new Date() }).returning();
    const vocabulary = await vocabularyOf(database.db, version?.id ?? null);
    const answer = parseTriageAnswer('{"intent":"refund_request","priority":"urgent","vip":"yes","confidence":0.95}');
    expect(withinVocabulary(answer?.labels ?? {}, vocabulary)).toEqual({ kept: { intent: 'refund_request' }, dropped: ['priority', 'vip'] });
  });

  it('without a manifest, only the standard label names pass', async () => {
    expect(await vocabularyOf(database.db, null)).toBeNull();
    expect(withinVocabulary({ intent: 'x', priority: 'high', tags: 'vip', assignee: 'me' }, null)).toEqual({ kept: { intent: 'x', priority: 'high' }, dropped: ['tags', 'assignee'] });
  });

  it('confidence is bounded: outside 0..1 the answer is no answer', () => {
    expect(parseTriageAnswer('{"intent":"refund_request","confidence":7}')).toBeNull();
    expect(parseTriageAnswer('{"intent":"refund_request","confidence":-0.1}')).toBeNull();
    expect(parseTriageAnswer('{"intent":"refund_request","confidence":0.5}')?.confidence).toBe(0.5);
  });
});
