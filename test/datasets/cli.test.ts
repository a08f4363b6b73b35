import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { harvestSandbox, tempHome, type HarvestedSandbox } from './helpers.ts';

describe('tuneloop dataset / gdpr commands', () => {
  let database: TestDatabase;
  let harvested: HarvestedSandbox;
  const home = tempHome();
  const cli = (...args: string[]) => runCli(args, { DATABASE_URL: database.url, TUNELOOP_HOME: home.home, LOG_LEVEL: 'warn' });

  beforeAll(async () => {
    database = await createTestDatabase();
    harvested = await harvestSandbox(database, { seed: 13, tickets: 120, name: 'zd-cli' });
  });
  afterAll(async () => {
    await harvested.close();
    await database.drop();
    home.remove();
  });

  it('creates, builds, diffs, exports and rejects a bad upload with line numbers', () => {
    const created = cli('dataset', 'create', '--name', 'cli-replies', '--task', 'reply', '--connections', 'zd-cli', '--since', '2025-01-01T00:00:00Z');
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/created dataset cli-replies/);

    const built = cli('dataset', 'build', 'cli-replies');
    expect(built.status).toBe(0);
    expect(built.stdout).toMatch(/^cli-replies v1 ready: \d+ train, \d+ validation, \d+ test \(content hash [0-9a-f]{16}…\)/);
    expect(built.stderr).toMatch(/conversations/);
    expect(cli('dataset', 'build', 'cli-replies').status).toBe(0);

    const diff = JSON.parse(cli('dataset', 'diff', 'cli-replies@1', '2').stdout) as { identical: boolean; examples: { added: number; removed: number } };
    expect(diff).toMatchObject({ identical: true, examples: { added: 0, removed: 0 } });

    const out = join(home.home, 'train.jsonl');
    const exported = cli('dataset', 'export', 'cli-replies@latest', '--split', 'train', '--out', out);
    const written = Number(/^wrote (\d+) examples/.exec(exported.stdout)?.[1]);
    expect(written).toBeGreaterThan(10);
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(written);

    const bad = join(home.home, 'bad.csv');
    writeFileSync(bad, 'user,assistant\nWhere is my order?,It ships tomorrow.\nHello,\n');
    const upload = cli('dataset', 'upload', 'cli-replies', bad);
    expect(upload.status).toBe(1);
    expect(upload.stderr).toContain(`${bad}:3: messages.1.content: content must not be empty`);
    expect(upload.stderr).toMatch(/1 problem\(s\); nothing was stored/);
  });

  it('erases a person by email and reports it', () => {
    const customer = [...harvested.sandbox.store.users.values()].find((u) => u.role === 'end-user');
    const erased = cli('gdpr', 'erase', '--email', customer?.email ?? '');
    expect(erased.status).toBe(0);
    const report = JSON.parse(erased.stdout) as { id: string; status: string; report: { database: { conversations: number } }; subject: { sha256: string } };
    expect(report.status).toBe('done');
    expect(report.report.database.conversations).toBeGreaterThan(0);
    expect(erased.stdout).not.toContain(customer?.email);
    const shown = JSON.parse(cli('gdpr', 'show', report.id).stdout) as { id: string; status: string };
    expect(shown).toMatchObject({ id: report.id, status: 'done' });
    expect((JSON.parse(cli('gdpr', 'list').stdout) as Array<{ id: string }>).map((e) => e.id)).toContain(report.id);
  });
});
