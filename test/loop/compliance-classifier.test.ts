/**
 * Reviews become the compliance stage: agents' public replies on Zendesk sandbox tickets (half leak
 * the customer's data, half carry look-alike numbers) are harvested and scanned by the real rules;
 * the test plays the compliance officer who decides every alert; the decisions build a compliance
 * dataset version; a classifier run learns `pii-in-public-reply` from it; the evaluation compares it
 * with the policy's stage today (the rules alone) on the held-out split, the gate lets it through,
 * and only after promotion does the scan use it, for that policy alone. Real Postgres, pg-boss,
 * the sandbox through the real connector.
 */
import { eq, and } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgedReplies } from '../../integrations/sandbox-kit/compliance-replies.ts';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { complianceAlerts, conversations, fineTuningJobs, messages, models } from '../../src/db/schema/index.ts';
import type { HubDeps } from '../../src/deps.ts';
import { runEvaluation } from '../../src/models/evaluation/handler.ts';
import { getEvaluation, pendingOrNewEvaluation } from '../../src/models/evaluation/evaluations.ts';
import { promote } from '../../src/models/registry/promotion.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { transitionAlert } from '../../src/serving/compliance/alerts/alerts.ts';
import { complianceClassifierStage } from '../../src/serving/compliance/classifier-stage.ts';
import { policiesFor } from '../../src/serving/compliance/handler.ts';
import { scanBacklog, scanMessage } from '../../src/serving/compliance/scan.ts';
import { CLASSIFIER_BASE_MODEL } from '../../src/training/classifier/model.ts';
import { runClassifierJob } from '../../src/training/classifier/runner.ts';
import { createJob, JobInputError } from '../../src/training/jobs.ts';
import { createAndBuild, SMALL_DATASET_SPLIT, tempHome } from '../datasets/helpers.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, harvestNow, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';

const POLICY = 'pii-in-public-reply';
const FIRST_NAMES = ['Anna', 'Lukas', 'Maria', 'Jonas', 'Sofia', 'Elias', 'Emma', 'Noah'];

describe('a per-policy compliance classifier learnt from decided alerts', () => {
  let database: TestDatabase;
  let queue: Queue;
  let config: Config;
  let deps: HubDeps;
  let conversationId = 0;
  let versionId = '';
  let position = 1_000;
  const home = tempHome();
  const { log } = captureLogger();
  const stage = () => complianceClassifierStage({ db: database.db, log });

  /** Scans a new agent reply with the classifier stage; returns the policies it raised alerts under. */
  async function scanNew(body: string): Promise<string[]> {
    const [message] = await database.db.insert(messages).values({ conversationId, sourceId: `new-${++position}`, position, authorRole: 'agent', visibility: 'public', body, sourceCreatedAt: new Date() }).returning();
    await scanMessage(database, null, policiesFor(config), message!.id, log, undefined, stage());
    return (await database.db.select({ policy: complianceAlerts.policyId }).from(complianceAlerts).where(eq(complianceAlerts.messageId, message!.id))).map((row) => row.policy).sort();
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    config = loadConfig({ DATABASE_URL: database.url, TUNELOOP_HOME: home.home });
    deps = { database, queue, log, config, keyring: testKeyring(), artifacts: home.store };

    // The agents: one solved ticket per reply, each to its own customer.
    const sandbox = createZendeskSandbox({ seed: 5, tickets: 3 });
    const replies = judgedReplies({ seed: 11, count: 120, firstNames: FIRST_NAMES });
    const agent = [...sandbox.store.users.values()].find((user) => user.role === 'agent' && user.id !== sandbox.store.botUserId && user.id !== sandbox.store.apiUserId);
    replies.forEach((reply, n) => {
      const first = FIRST_NAMES[n % FIRST_NAMES.length] ?? 'Anna';
      const ticket = sandbox.store.addTicket({ subject: `Order question ${n}`, body: `Hello, where is my order? Thanks, ${first}`, requester: { name: `${first} Customer${n}`, email: `customer${n}@example.org` }, status: 'solved', priority: 'normal' });
      ticket.assigneeId = agent!.id;
      sandbox.store.addComment(ticket, { authorId: agent!.id, body: reply.body, public: true, channel: 'web' });
    });
    const server = await sandbox.listen();
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd', settings: { baseUrl: server.url }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } });
    const run = await harvestNow(database, connection.id, 500);
    await server.close();
    expect(run?.status).toBe('succeeded');
    conversationId = (await database.db.select({ id: conversations.id }).from(conversations).limit(1))[0]!.id;

    // The rules raise their alerts; the officer decides each one.
    await scanBacklog(database, null, policiesFor(config), log, { connectionId: connection.id });
    const truth = new Map(replies.map((reply) => [reply.body, reply.violation]));
    const raised = await database.db.select({ id: complianceAlerts.id, body: messages.body }).from(complianceAlerts).innerJoin(messages, eq(messages.id, complianceAlerts.messageId)).where(eq(complianceAlerts.policyId, POLICY));
    expect(raised.length).toBe(replies.length);
    for (const alert of raised) {
      const violation = truth.get(alert.body.trim());
      expect(violation, alert.body).toBeTypeOf('boolean');
      await transitionAlert(database.db, null, alert.id, { to: violation ? 'acknowledged' : 'false_positive', actor: 'officer' });
    }

    // Templated replies are alike by design: exact duplicates only.
    const { version } = await createAndBuild(database, home.store, { name: 'reviews', task: 'compliance', config: { connections: [connection.id], split: SMALL_DATASET_SPLIT, dedup: { threshold: 1 } } });
    expect(version.status).toBe('ready');
    versionId = version.id;
  }, 120_000);

  afterAll(async () => {
    await queue?.stop({ timeoutMs: 1_000 });
    await database?.drop();
    home.remove();
  });

  it('trains, evaluates against the rules, passes the gate, and is used for its policy only after promotion', async () => {
    const lookAlike = 'Hi Clara, thanks for the details you sent. The tracking number of your parcel is 799273987135461; the courier delivers on Friday. Best wishes.';
    const leak = 'Hi Clara, thanks for the details you sent. I will call you back on +49 30 4455667 on Friday about the parcel. Best wishes.';
    const promise = 'Hi Clara, your money is 100% refund guaranteed.';
    expect(await scanNew(lookAlike)).toEqual([POLICY]); // no classifier yet: the rules alone

    const job = await createJob(database.db, { model: CLASSIFIER_BASE_MODEL, dataset_version: versionId, method: { type: 'classifier', hyperparameters: { classifier: { policy: POLICY } } } }, { queue, actor: 'test', backends: ['local'] });
    expect(job.task).toBe(`compliance:${POLICY}`);
    await runClassifierJob({ ...deps, store: home.store }, job.id);
    const [done] = await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, job.id));
    expect(done?.status, JSON.stringify(done?.error)).toBe('succeeded');
    const [candidate] = await database.db.select().from(models).where(eq(models.fineTuningJobId, job.id));
    expect(candidate).toMatchObject({ task: `compliance:${POLICY}`, status: 'candidate', baseModel: CLASSIFIER_BASE_MODEL });
    expect(await scanNew(lookAlike)).toEqual([POLICY]); // a candidate is not the stage

    const { evaluation } = await pendingOrNewEvaluation(database.db, candidate!.id);
    await runEvaluation({ ...deps, store: home.store }, evaluation.id, { lastAttempt: true });
    const evaluated = await getEvaluation(database.db, evaluation.id);
    expect(evaluated?.status, evaluated?.error ?? '').toBe('succeeded');
    const report = evaluated!.report!;
    expect(report).toMatchObject({ policy: POLICY, stage: 'rules alone', baseline: { label: 'base', recall: 1, false_negatives: 0 } });
    expect(report.baseline?.false_positives).toBeGreaterThan(5);
    // Precision at the same recall: every confirmed violation kept, most false positives gone.
    expect(report.candidate.recall).toBe(1);
    expect(report.candidate.false_positives).toBeLessThan((report.baseline?.false_positives ?? 0) / 2);
    expect(report.candidate.precision).toBeGreaterThan(report.baseline?.precision ?? 1);

    const promoted = await promote(database.db, candidate!.id, { actor: 'test', queue: null });
    expect(promoted.verdict?.allowed).toBe(true);
    expect(await scanNew(lookAlike)).toEqual([]); // the classifier drops the rule's false positive
    expect(await scanNew(leak)).toEqual([POLICY]); // and keeps the real leak
    expect(await scanNew(promise)).toEqual(['forbidden-refund-promise']); // other policies: the rules alone
  });

  it('refuses a classifier run that cannot learn, and says why', async () => {
    await expect(createJob(database.db, { model: CLASSIFIER_BASE_MODEL, dataset_version: versionId, method: { type: 'classifier' } }, { queue, actor: 'test', backends: ['local'] })).rejects.toThrow(/needs hyperparameters.classifier.policy/);
    await expect(createJob(database.db, { model: 'some-llm', dataset_version: versionId, method: { type: 'classifier', hyperparameters: { classifier: { policy: POLICY } } } }, { queue, actor: 'test', backends: ['local'] })).rejects.toBeInstanceOf(JobInputError);
    // No alert of this policy was decided: the run fails with the counts, nothing is registered.
    const job = await createJob(database.db, { model: CLASSIFIER_BASE_MODEL, dataset_version: versionId, method: { type: 'classifier', hyperparameters: { classifier: { policy: 'legal-threat' } } } }, { queue, actor: 'test', backends: ['local'] });
    await runClassifierJob({ ...deps, store: home.store }, job.id);
    const [failed] = await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, job.id));
    expect(failed?.status).toBe('failed');
    expect(failed?.error?.message).toMatch(/legal-threat has 0 confirmed violations and 0 false positives/);
    expect(await database.db.select().from(models).where(and(eq(models.task, 'compliance:legal-threat')))).toEqual([]);
  });
});
