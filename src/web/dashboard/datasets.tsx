/**
 * /datasets: datasets and their versions; create a dataset and build a version (operator); a
 * version's manifest as pictures (counts per curation step, drop reasons, PII replacements per type,
 * label distribution, split sizes, token-length histogram); the diff of two versions; JSONL
 * download per split. The same functions as /api/v1/datasets.
 */
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { TASKS } from '../../datasets/config.ts';
import { diffVersions } from '../../datasets/diff.ts';
import { ExportError, openSplit } from '../../datasets/export.ts';
import type { Manifest } from '../../datasets/manifest.ts';
import { SPLITS, type Split } from '../../datasets/types.ts';
import { listConnections } from '../../connections/store.ts';
import { createDataset, createVersion, DatasetInputError, findDataset, getVersion, listDatasets, listVersions, NewDataset, type VersionRow } from '../../datasets/versions.ts';
import { Bars } from './charts.tsx';
import { ActionForm, Empty, Field, fmt, Notice, SelectField, Status, When } from './components.tsx';
import { tokenHistogram } from './dataset-data.ts';
import { requireRole } from '../auth.ts';
import { can, CSRF_FIELD, type DashboardEnv } from './guard.ts';
import { Layout } from './layout.tsx';

type Errors = Partial<Record<'name' | 'task' | 'config' | 'connections', string>>;
type Values = Partial<Record<'name' | 'task' | 'config', string>>;

const CreateForm = z.object({
  name: NewDataset.shape.name,
  task: z.enum(TASKS, { error: `choose one of ${TASKS.join(', ')}` }),
  config: z.string().transform((text, ctx) => {
    try {
      const value: unknown = JSON.parse(text.trim() || '{}');
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'config must be a JSON object (empty for the defaults)' });
    return z.NEVER;
  }),
});

const manifestOf = (version: VersionRow) => version.manifest as unknown as Manifest | null;

function VersionRows(props: { versions: VersionRow[]; dataset: string }) {
  return (
    <table>
      <thead>
        <tr>
          <th>version</th>
          <th>status</th>
          <th>origin</th>
          {SPLITS.map((split) => (
            <th class="num">{split}</th>
          ))}
          <th>built</th>
        </tr>
      </thead>
      <tbody>
        {props.versions.map((version) => (
          <tr>
            <td>
              <a href={`/datasets/versions/${version.id}`}>
                {props.dataset} v{version.version}
              </a>
            </td>
            <td>
              <Status value={version.status} />
              {version.error ? <span class="error"> {version.error}</span> : null}
            </td>
            <td>{version.origin}</td>
            {SPLITS.map((split) => (
              <td class="num">{fmt(manifestOf(version)?.splits?.[split]?.examples)}</td>
            ))}
            <td>
              <When at={version.builtAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function datasetPages(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<DashboardEnv>();

  const list = async (c: Context<DashboardEnv>, form: { values: Values; errors: Errors; connections?: string[] } = { values: {}, errors: {} }, status: 200 | 400 = 200) => {
    const session = c.get('session');
    const all = await Promise.all((await listDatasets(db)).map(async (dataset) => ({ dataset, versions: await listVersions(db, dataset.id) })));
    const sources = await listConnections(db);
    const building = all.some(({ versions }) => versions.some((v) => v.status === 'queued' || v.status === 'building'));
    return c.html(
      <Layout title="Datasets" session={session} path="/datasets">
        {building ? <meta http-equiv="refresh" content="3" /> : null}
        {all.length ? (
          all.map(({ dataset, versions }) => (
            <section class="card" id={`dataset-${dataset.name}`}>
              <h2>
                {dataset.name} <span class="muted">({dataset.task})</span>
              </h2>
              {versions.length ? <VersionRows versions={versions} dataset={dataset.name} /> : <Empty>No version yet: build one.</Empty>}
              {can(c, 'operator') ? (
                <div class="actions">
                  <ActionForm action={`/datasets/${dataset.id}/build`} csrf={session.csrf}>
                    <button type="submit">Build a new version</button>
                  </ActionForm>
                </div>
              ) : null}
              {versions.length > 1 ? (
                <form method="get" action="/datasets/diff" class="filters">
                  <SelectField name="a" label="Compare version" options={versions.map((v) => v.id)} value={versions[1]?.id} />
                  <SelectField name="b" label="with" options={versions.map((v) => v.id)} value={versions[0]?.id} />
                  <button type="submit" class="secondary">
                    Diff
                  </button>
                </form>
              ) : null}
            </section>
          ))
        ) : (
          <section class="card">
            <Empty>No datasets yet. {can(c, 'operator') ? 'Create one below, after a harvest has stored conversations.' : 'An operator creates them.'}</Empty>
          </section>
        )}
        {can(c, 'operator') ? (
          <section class="card">
            <h2>Create a dataset</h2>
            <form method="post" action="/datasets" class="stack">
              <input type="hidden" name={CSRF_FIELD} value={session.csrf} />
              <Field name="name" label="Name" value={form.values.name} error={form.errors.name} placeholder="support-replies" required />
              <SelectField name="task" label="Task" options={TASKS} value={form.values.task} error={form.errors.task} />
              <fieldset class="field">
                <legend>Conversations from</legend>
                {sources.length ? (
                  sources.map((source) => (
                    <label>
                      <input type="checkbox" name="connections" value={source.id} checked={form.connections?.includes(source.id) ?? sources.length === 1} /> {source.name} ({source.vendor})
                    </label>
                  ))
                ) : (
                  <Empty>No connection yet: add one on Connections first.</Empty>
                )}
                {form.errors.connections ? <small class="error" role="alert">{form.errors.connections}</small> : null}
              </fieldset>
              <div class="field">
                <label for="field-config">Curation config (JSON; empty for the defaults)</label>
                <textarea id="field-config" name="config" rows={3} aria-invalid={form.errors.config ? 'true' : undefined} placeholder='{"filter": {"minChars": 20}}'>
                  {form.values.config ?? ''}
                </textarea>
                {form.errors.config ? <small class="error" role="alert">{form.errors.config}</small> : null}
              </div>
              <div>
                <button type="submit">Create dataset</button>
              </div>
            </form>
          </section>
        ) : null}
      </Layout>,
      status,
    );
  };

  app.get('/', requireRole('viewer'), (c) => list(c));

  app.post('/', requireRole('operator'), async (c) => {
    const body = await c.req.parseBody({ all: true });
    const values: Values = Object.fromEntries(['name', 'task', 'config'].map((key) => [key, typeof body[key] === 'string' ? body[key] : '']));
    const chosen = [body.connections ?? []].flat().filter((value): value is string => typeof value === 'string');
    const parsed = CreateForm.safeParse(values);
    if (!parsed.success) {
      const errors: Errors = {};
      for (const issue of parsed.error.issues) errors[issue.path[0] as keyof Errors] ??= issue.message;
      return list(c, { values, errors, connections: chosen }, 400);
    }
    // The ticked connections, unless the JSON config names its own.
    const config = { ...(chosen.length ? { connections: chosen } : {}), ...parsed.data.config };
    try {
      await createDataset(db, { ...parsed.data, config }, c.get('actor'));
      return c.redirect('/datasets', 303);
    } catch (error) {
      if (error instanceof DatasetInputError) {
        const field: keyof Errors = /already exists/.test(error.message) ? 'name' : error.message.startsWith('config.connections') ? 'connections' : 'config';
        return list(c, { values, errors: { [field]: error.message }, connections: chosen }, 400);
      }
      throw error;
    }
  });

  app.post('/:id/build', requireRole('operator'), async (c) => {
    const dataset = await findDataset(db, c.req.param('id'));
    if (!dataset) return c.text('No such dataset.', 404);
    if (!deps.queue) return c.text('The job queue is not running, so no build can start.', 503);
    await createVersion(db, dataset.id, 'build', { queue: deps.queue });
    return c.redirect('/datasets', 303);
  });

  app.get('/diff', requireRole('viewer'), async (c) => {
    const ids = z.object({ a: z.uuid(), b: z.uuid() }).safeParse(c.req.query());
    const [a, b] = ids.success ? await Promise.all([getVersion(db, ids.data.a), getVersion(db, ids.data.b)]) : [null, null];
    if (!a || !b) return c.text('Choose two versions to compare.', 400);
    const diff = await diffVersions(db, a, b);
    return c.html(
      <Layout title={`Diff v${a.version} → v${b.version}`} session={c.get('session')} path="/datasets">
        <section class="card">
          {diff.identical ? <Notice kind="ok">The two versions are byte-identical.</Notice> : null}
          <p>
            examples added <b>{diff.examples.added}</b> · removed <b>{diff.examples.removed}</b> · kept <b>{diff.examples.kept}</b> · moved to another split <b>{diff.examples.movedSplit}</b>
          </p>
          <table>
            <thead>
              <tr>
                <th>count</th>
                <th class="num">v{a.version}</th>
                <th class="num">v{b.version}</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(diff.splits).map(([split, n]) => (
                <tr>
                  <td>{split} split</td>
                  <td class="num">{n.a}</td>
                  <td class="num">{n.b}</td>
                </tr>
              ))}
              {Object.entries(diff.steps).map(([step, n]) => (
                <tr>
                  <td>{step}</td>
                  <td class="num">{fmt(n.a)}</td>
                  <td class="num">{fmt(n.b)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>Config changed: {diff.configChanged.length ? diff.configChanged.join(', ') : 'nothing'}</p>
        </section>
      </Layout>,
    );
  });

  app.get('/versions/:id', requireRole('viewer'), async (c) => {
    const version = await getVersion(db, c.req.param('id'));
    if (!version) return c.text('No such dataset version.', 404);
    const manifest = manifestOf(version);
    const histogram = version.status === 'ready' ? await tokenHistogram(deps.artifacts, version, 'train').catch(() => null) : null;
    const steps = manifest?.steps;
    const stepCounts: Record<string, number> = {};
    if (steps) {
      if (steps.select) stepCounts['1 selected conversations'] = steps.select.out;
      if (steps.extract) stepCounts['2 extracted examples'] = steps.extract.examples;
      if (steps.filter) stepCounts['3 after filter'] = steps.filter.out;
      if (steps.dedup) stepCounts['4 after dedup'] = steps.dedup.out;
    }
    const drops: Record<string, number> = {};
    for (const [step, counts] of [['select', steps?.select?.dropped], ['extract', steps?.extract?.skipped], ['filter', steps?.filter?.dropped], ['dedup', steps?.dedup?.dropped]] as const) {
      for (const [reason, n] of Object.entries(counts ?? {})) drops[`${step}: ${reason}`] = n;
    }
    return c.html(
      <Layout title={`${manifest?.dataset.name ?? 'Dataset'} v${version.version}`} session={c.get('session')} path="/datasets">
        {version.status === 'queued' || version.status === 'building' ? <meta http-equiv="refresh" content="3" /> : null}
        <section class="card">
          <p>
            <Status value={version.status} /> {version.origin} · built <When at={version.builtAt} /> · content hash <code>{version.contentHash?.slice(0, 16) ?? '—'}</code>
          </p>
          {version.error ? <Notice kind="error">{version.error}</Notice> : null}
          {version.status === 'ready' && can(c, 'operator') ? (
            <div class="actions">
              Download JSONL:
              {SPLITS.map((split) => (
                <a href={`/datasets/versions/${version.id}/files/${split}`} download>
                  {split}
                </a>
              ))}
            </div>
          ) : null}
        </section>
        {manifest ? (
          <div class="cards">
            <section class="card">
              <h2>Examples through each curation step</h2>
              <Bars counts={stepCounts} keepOrder label="examples per curation step" />
            </section>
            <section class="card">
              <h2>Drop reasons</h2>
              <Bars counts={drops} empty="Nothing was dropped." label="drop reasons" />
            </section>
            <section class="card">
              <h2>PII replacements per type</h2>
              <Bars counts={steps?.scrub?.replacements} empty="No PII was found." label="PII replacements per type" />
            </section>
            <section class="card">
              <h2>Split sizes</h2>
              <Bars counts={Object.fromEntries(SPLITS.map((split) => [split, manifest.splits?.[split]?.examples ?? 0]))} keepOrder label="examples per split" />
            </section>
            <section class="card">
              <h2>Labels</h2>
              {Object.keys(manifest.labels ?? {}).length ? (
                Object.entries(manifest.labels).map(([label, counts]) => (
                  <>
                    <h3>{label}</h3>
                    <Bars counts={counts} label={`${label} distribution`} />
                  </>
                ))
              ) : (
                <Empty>No labels: only triage datasets have them.</Empty>
              )}
            </section>
            <section class="card">
              <h2>Token length, train split</h2>
              {histogram ? <Bars counts={histogram} keepOrder label="token-length histogram" /> : <Empty>No histogram: the split file is not available.</Empty>}
              <p class="muted">
                {manifest.tokens?.method} · p50 {fmt(manifest.tokens?.all.p50)} · p95 {fmt(manifest.tokens?.all.p95)} · max {fmt(manifest.tokens?.all.max)}
              </p>
            </section>
          </div>
        ) : (
          <section class="card">
            <Empty>No manifest yet: the version is still being built.</Empty>
          </section>
        )}
      </Layout>,
    );
  });

  app.get('/versions/:id/files/:split', requireRole('operator'), async (c) => {
    const split = z.enum(SPLITS as [Split, ...Split[]]).safeParse(c.req.param('split'));
    const version = await getVersion(db, c.req.param('id'));
    if (!version || !split.success) return c.text('No such dataset version or split.', 404);
    try {
      const { stream, file } = await openSplit(deps.artifacts, version, split.data);
      const name = manifestOf(version)?.dataset.name ?? 'dataset';
      c.header('Content-Type', 'application/jsonl; charset=utf-8');
      c.header('Content-Length', String(file.bytes));
      c.header('Content-Disposition', `attachment; filename="${name}-v${version.version}-${split.data}.jsonl"`);
      return c.body(Readable.toWeb(stream) as ReadableStream);
    } catch (error) {
      if (error instanceof ExportError) return c.text(error.message, error.reason === 'erased' ? 410 : 409);
      throw error;
    }
  });

  return app;
}
