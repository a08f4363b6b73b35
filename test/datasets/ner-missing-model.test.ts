/**
 * A broken name model stops curation: no dataset is built with the weaker word-list scrubber in
 * its place. Its own file, because the model is loaded once per process (vitest runs each file
 * in a process of its own) and TUNELOOP_NER_MODEL must be set before the first use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDatasetConfig } from '../../src/datasets/config.ts';
import { Curator } from '../../src/datasets/curate.ts';
import { NerModelError } from '../../src/datasets/pii/ner/model.ts';
import type { SourceConversation } from '../../src/datasets/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'tuneloop-ner-missing-'));
const missing = join(dir, 'names.tlner');
process.env.TUNELOOP_NER_MODEL = missing;
afterAll(() => {
  delete process.env.TUNELOOP_NER_MODEL;
  rmSync(dir, { recursive: true, force: true });
});

const CONNECTION = '6d1f7c1e-5b9a-4b5e-9a43-0d4b2f0c1a11';
const at = new Date('2025-02-01T10:00:00Z');
const conversation: SourceConversation = {
  id: 1,
  connectionId: CONNECTION,
  sourceId: '1',
  subject: 'Refund',
  status: 'solved',
  priority: 'high',
  language: 'en',
  tags: [],
  customFields: {},
  requester: { id: '42', name: 'Anna Schmidt', email: 'anna.schmidt@example.com' },
  assignee: null,
  organizationId: null,
  deleted: false,
  createdAt: at,
  updatedAt: at,
  messages: [
    { id: 1, authorRole: 'customer', author: null, visibility: 'public', body: 'hi, where is my refund? best, tom', createdAt: at },
    { id: 2, authorRole: 'agent', author: null, visibility: 'public', body: 'Hi Tom, it was sent today.', createdAt: at },
  ],
};

describe('curation without a usable name model', () => {
  it('stops with an error that names the file and the fix', () => {
    const curator = new Curator('reply', parseDatasetConfig({ connections: [CONNECTION], filters: { requireResolved: false } }));
    expect(() => [...curator.add(conversation)]).toThrow(NerModelError);
    expect(() => [...curator.add(conversation)]).toThrow(`PII name model ${missing} cannot be read (ENOENT)`);
  });
});
