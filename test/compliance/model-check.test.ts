/**
 * The compliance model beside the rules, on a real Postgres with a loopback OpenAI-protocol server:
 * a confident "violation" naming one of our policies raises an alert under it, naming none raises
 * `compliance-model`, low confidence and invalid JSON raise nothing, and a model that is down
 * never holds back the rules' alerts (the job is retried for the model alone).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { complianceAlerts, connections, conversations, messages, models } from '../../src/db/schema/index.ts';
import { createInferenceClient, ModelUnavailableError } from '../../src/models/inference/client.ts';
import { policiesFor } from '../../src/serving/compliance/handler.ts';
import { complianceModelCheck } from '../../src/serving/compliance/model-check.ts';
import { scanMessage } from '../../src/serving/compliance/scan.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { captureLogger } from '../support/logger.ts';

const ANSWERS: Array<[RegExp, string]> = [
  [/refund/, '{"violation": true, "policy": "forbidden-refund-promise", "confidence": 0.93}'],
  [/wire the money/, '{"violation": true, "policy": "no-such-policy"}'],
  [/maybe/, '{"violation": true, "policy": null, "confidence": 0.2}'],
  [/gibberish/, 'I think this is fine'],
];

describe('compliance model check', () => {
  let database: TestDatabase;
  let server: FakeModelServer;
  let conversationId: number;
  let position = 0;
  const log = captureLogger().log;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startFakeModelServer({ baseModels: ['tiny-compliance'], reply: (body) => ANSWERS.find(([pattern]) => pattern.test(body.messages.at(-1)?.content ?? ''))?.[1] ?? '{"violation": false, "policy": null}' });
    await database.db.insert(models).values({ task: 'compliance', backend: 'local', baseModel: 'tiny-compliance', status: 'production' });
    const [connection] = await database.db.insert(connections).values({ vendor: 'zendesk', name: 'zd', settings: {}, credentialsEncrypted: 'x' }).returning();
    const [conversation] = await database.db.insert(conversations).values({ connectionId: connection?.id ?? '', source: 'zendesk', sourceId: '1', sourceCreatedAt: new Date(), sourceUpdatedAt: new Date(), contentHash: 'h' }).returning();
    conversationId = conversation?.id ?? 0;
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  async function scan(body: string, baseURL = server.url) {
    const config = loadConfig({ DATABASE_URL: database.url, INFERENCE_BASE_URL: baseURL, INFERENCE_MAX_RETRIES: '0', INFERENCE_TIMEOUT_MS: '2000' });
    const policies = policiesFor(config);
    const model = complianceModelCheck({ db: database.db, config, inference: createInferenceClient({ config, log }), policies, log });
    const [message] = await database.db.insert(messages).values({ conversationId, sourceId: `m${++position}`, position, authorRole: 'agent', visibility: 'public', body, sourceCreatedAt: new Date() }).returning();
    const id = message?.id ?? 0;
    const alerts = async () => (await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.messageId, id))).map((alert) => ({ policy: alert.policyId, severity: alert.severity, kinds: alert.evidence.map((span) => span.kind) }));
    return { run: () => scanMessage(database, null, policies, id, log, model), alerts };
  }

  it('raises what the model is confident about, under our policy when it names one', async () => {
    // "guaranteed" is also caught by the rules: one alert, with the rules' precise evidence.
    const both = await scan('Your refund is 100% refund guaranteed.');
    await both.run();
    expect(await both.alerts()).toEqual([{ policy: 'forbidden-refund-promise', severity: 'high', kinds: [expect.not.stringMatching(/^model$/)] }]);

    const onlyModel = await scan('We will process a refund for you.');
    await onlyModel.run();
    expect(await onlyModel.alerts()).toEqual([{ policy: 'forbidden-refund-promise', severity: 'high', kinds: ['model'] }]);

    const unnamed = await scan('Please wire the money to this account.');
    await unnamed.run();
    expect(await unnamed.alerts()).toEqual([{ policy: 'compliance-model', severity: 'medium', kinds: ['model'] }]);
    expect(server.chats.at(-1)?.messages.at(-1)?.content).toBe('Agent public message:\nPlease wire the money to this account.');

    for (const body of ['It may be fine, maybe.', 'gibberish answer please', 'Thanks for your patience.']) {
      const quiet = await scan(body);
      await quiet.run();
      expect(await quiet.alerts(), body).toEqual([]);
    }
  });

  it('stores the rules\' alerts when the model is down, and throws so the job retries for the model', async () => {
    const down = await scan("Your money is 100% refund guaranteed.", "http://127.0.0.1:1/v1");
    await expect(down.run()).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(await down.alerts()).toEqual([{ policy: 'forbidden-refund-promise', severity: 'high', kinds: [expect.any(String)] }]);
  });
});
