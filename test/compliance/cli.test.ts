import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations, messages } from '../../src/db/schema/index.ts';
import { harvestSandbox, type HarvestedSandbox } from '../datasets/helpers.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('tuneloop alerts', () => {
  let database: TestDatabase;
  let harvested: HarvestedSandbox;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-alerts-'));
  // Each run starts the whole CLI (seconds): the test keeps to the commands that matter.
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { DATABASE_URL: database.url, TUNELOOP_HOME: home, LOG_LEVEL: 'warn', ...env });

  beforeAll(async () => {
    database = await createTestDatabase();
    harvested = await harvestSandbox(database, { seed: 17, tickets: 40, name: 'zd-alerts' });
  });
  afterAll(async () => {
    await harvested.close();
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('scans the backlog with progress, lists, shows and decides alerts; a second scan finds nothing new', async () => {
    const [conversation] = await database.db.select({ id: conversations.id }).from(conversations).limit(1);
    if (!conversation) throw new Error('nothing harvested');
    await database.db.insert(messages).values({ conversationId: conversation.id, sourceId: `cli-${randomUUID()}`, position: 900, authorRole: 'agent', visibility: 'public', body: 'Keine Sorge, Ihr Geld wird garantiert erstattet.', sourceCreatedAt: new Date() });
    const total = (await database.db.select({ id: messages.id }).from(messages)).length;

    const scan = cli(['alerts', 'scan', '--connection', 'zd-alerts']);
    expect(scan.status, scan.stderr).toBe(0);
    const [, scanned, raised] = /^scanned (\d+) messages: (\d+) new alerts/.exec(scan.stdout) ?? [];
    expect(Number(scanned)).toBe(total);
    expect(Number(raised)).toBeGreaterThanOrEqual(1);
    expect(scan.stderr).toMatch(/scan \|.*\| \d+\/\d+ messages/);
    expect(cli(['alerts', 'scan']).stdout).toMatch(/^scanned 0 messages: 0 new alerts/);

    const list = JSON.parse(cli(['alerts', 'list', '--policy', 'forbidden-refund-promise', '--json']).stdout) as Array<{ id: string; status: string; evidence: Array<{ excerpt: string }> }>;
    const alert = list.find((a) => a.evidence.some((e) => e.excerpt === 'garantiert erstattet'));
    expect(alert?.status).toBe('open');
    const id = alert?.id ?? '';

    const ack = cli(['alerts', 'ack', id, '--note', 'on it']);
    expect(ack.status, ack.stderr).toBe(0);
    expect(ack.stdout).toContain('acknowledged');
    const twice = cli(['alerts', 'ack', id]);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toContain('an acknowledged alert cannot become acknowledged');
    const shown = JSON.parse(cli(['alerts', 'show', id]).stdout) as { status: string; transitions: Array<{ actor: string; note: string | null }> };
    expect(shown.status).toBe('acknowledged');
    expect(shown.transitions).toEqual([expect.objectContaining({ from: 'open', to: 'acknowledged', actor: 'cli', note: 'on it' })]);
  });

  it('refuses to scan with a bad policy file, naming the policy and the field', () => {
    const file = join(home, 'bad.yaml');
    writeFileSync(file, 'format: 1\npolicies:\n  - {id: refunds, version: 1, description: d, severity: high, scope: sideways, owner: o, detector: {type: keyword, terms: [refund]}}\n');
    const result = cli(['alerts', 'scan'], { COMPLIANCE_POLICY_FILE: file });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`tuneloop: ${file}: policy "refunds": scope: Invalid option`);
  });
});
