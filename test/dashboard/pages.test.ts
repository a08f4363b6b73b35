import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { auditEvents, connections, datasets, fineTuningJobs, modelEvaluations, models, reviewPairs } from '../../src/db/schema/index.ts';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createConnection } from '../../src/connections/store.ts';
import { createKeyring } from '../../src/security/encryption.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testDeps } from '../support/app.ts';
import { login, type Browserish } from './support.ts';

const PAGES = ['/', '/connections', '/datasets', '/runs', '/models', '/drafts'];

describe('dashboard pages by role', () => {
  let database: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let admin: Browserish;
  let viewer: Browserish;
  let operator: Browserish;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = createApp(testDeps(database, null));
    admin = await login(app, (await createToken(database.db, 'root', 'test')).token);
    operator = await login(app, (await createToken(database.db, 'ops', 'test', { roles: ['operator'] })).token);
    viewer = await login(app, (await createToken(database.db, 'look', 'test', { roles: ['viewer'] })).token);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('renders every page, with empty states that say what to do next', async () => {
    expect((await admin.get('/audit')).status).toBe(200);
    for (const path of PAGES) {
      const response = await admin.get(path);
      expect(response.status, path).toBe(200);
      const html = await response.text();
      expect(html, path).toContain('<main id="main">');
      expect(html, path).toMatch(/class="empty"/);
    }
    expect(await (await admin.get('/connections')).text()).toContain('Add one below');
    expect(await (await admin.get('/runs')).text()).toContain('Build one first');
  });

  it('shows a viewer no action buttons or forms, and refuses its posts with 403 naming the role (audited)', async () => {
    for (const path of PAGES) {
      const html = await (await viewer.get(path)).text();
      expect(html, path).not.toMatch(/<form method="post" action="\/(?!logout)/);
      expect(html, path).not.toContain('hx-post');
    }
    expect(await (await viewer.get('/')).text()).not.toContain('href="/audit"');
    expect((await viewer.get('/audit')).status).toBe(403);
    const response = await viewer.post('/datasets', { name: 'nope', task: 'reply', config: '' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('needs the operator role');
    expect(await database.db.select().from(datasets)).toEqual([]);
    const denied = await database.db.select().from(auditEvents).where(eq(auditEvents.action, 'access.denied'));
    expect(denied.map((row) => row.actor)).toContain('token:look');
  });

  it('puts a bad form value next to its field and changes nothing', async () => {
    const response = await operator.post('/datasets', { name: 'bad name!', task: 'reply', config: '{not json' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(/id="field-name"[^>]*aria-invalid="true"/);
    expect(html).toContain('must be 1-100 letters');
    expect(html).toContain('config must be a JSON object');
    expect(html).toContain('value="bad name!"');
    expect(await database.db.select().from(datasets)).toEqual([]);

    const run = await operator.post('/runs', { dataset_version: 'x', model: '', method: 'lora', hyperparameters: '' });
    expect(run.status).toBe(400);
    expect(await run.text()).toContain('choose a ready dataset version');
    expect(await database.db.select().from(fineTuningJobs)).toEqual([]);

    const connection = await admin.post('/connections', { vendor: 'zendesk', name: 'zd', settings: '{}', credentials: '{}', schedule: '' });
    expect(connection.status).toBe(400);
    expect(await connection.text()).toMatch(/small class="error"[^>]*>settings/);
    expect(await database.db.select().from(connections)).toEqual([]);
  });

  it('lets an operator create a dataset through the form', async () => {
    const missing = await operator.post('/datasets', { name: 'replies', task: 'reply', config: '' });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toMatch(/small class="error"[^>]*>config.connections: name at least one connection/);
    const row = await createConnection(database.db, createKeyring(randomBytes(32)), { vendor: 'zendesk', name: 'zd', settings: { baseUrl: 'http://127.0.0.1:1' }, credentials: { type: 'api_token', email: 'a@b.example', token: 't' } }, 'test', { allowedHosts: ['127.0.0.1'] });
    const response = await operator.post('/datasets', { name: 'replies', task: 'reply', config: '', connections: row.id });
    expect(response.status).toBe(303);
    const html = await (await operator.get('/datasets')).text();
    expect(html).toContain('replies');
    expect(html).toContain('Build a new version');
  });

  it('serves the blind review queue to compliance: both answers unlabelled, a verdict per pair, then the next', async () => {
    const compliance = await login(app, (await createToken(database.db, 'comp', 'test', { roles: ['compliance'] })).token);
    const [model] = await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: 'tiny' }).returning();
    const [evaluation] = await database.db.insert(modelEvaluations).values({ modelId: String(model?.id), status: 'succeeded' }).returning();
    await database.db.insert(reviewPairs).values([0, 1].map((position) => ({ evaluationId: String(evaluation?.id), position, prompt: [{ role: 'user', content: `question ${position}` }], answerA: `first ${position}`, answerB: `second ${position}`, candidateSide: 'a' as const })));
    const page = await (await compliance.get('/drafts/review')).text();
    expect(page).toContain('question 0');
    expect(page).toContain('data-key="a"');
    expect(page).toContain('/assets/review-keys.js');
    const id = /action="\/drafts\/review\/([0-9a-f-]{36})"/.exec(page)?.[1] ?? '';
    expect((await compliance.post(`/drafts/review/${id}`, { verdict: 'sideways' })).headers.get('location')).toContain('notice=');
    expect((await compliance.post(`/drafts/review/${id}`, { verdict: 'a' })).status).toBe(303);
    expect(await (await compliance.get('/drafts/review')).text()).toContain('question 1');
    const [scored] = await database.db.select().from(reviewPairs).where(eq(reviewPairs.id, id));
    expect(scored).toMatchObject({ verdict: 'a', reviewer: 'token:comp' });
    expect((await viewer.get('/drafts/review')).status).toBe(403);
    expect(await (await viewer.get('/drafts')).text()).not.toContain('/drafts/review');
  });
});
