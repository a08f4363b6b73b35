/**
 * `tuneloop dataset create|build|list|show|diff|export|upload`. `build` runs in this process with a
 * progress bar (like `harvest run`); `--queue` hands it to the hub's workers instead.
 * Versions are named `NAME@N`, `NAME@latest` (newest ready) or by id.
 */
import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { openArtifactStore } from '../../artifacts/index.ts';
import { findConnection } from '../../connections/store.ts';
import { buildVersion, failVersion, PermanentBuildError } from '../../datasets/build.ts';
import { diffVersions } from '../../datasets/diff.ts';
import { ExportError, exportSplitToFile } from '../../datasets/export.ts';
import type { Manifest } from '../../datasets/manifest.ts';
import { SPLITS, type Split } from '../../datasets/types.ts';
import { UploadValidationError } from '../../datasets/upload/parse.ts';
import { uploadVersion } from '../../datasets/upload/version.ts';
import { createDataset, createVersion, DatasetInputError, findDataset, listDatasets, listVersions, resolveVersionRef, type VersionRow } from '../../datasets/versions.ts';
import { startQueue } from '../../queue/queue.ts';
import { publicDataset, publicVersion } from '../../web/api/datasets.ts';
import { fail, quietLogger, withDatabase, readJsonObject } from '../context.ts';

const print = (value: unknown) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);

function summary(version: VersionRow): string {
  const manifest = version.manifest as unknown as Manifest | null;
  const sizes = manifest ? SPLITS.map((s) => `${manifest.splits[s].examples} ${s}`).join(', ') : '';
  return `v${version.version} ${version.status}${sizes ? `: ${sizes}` : ''}${version.error ? ` — ${version.error}` : ''}`;
}

/** `intent=custom_field:360001234501`, `topic=tag_prefix:intent_`, `priority=priority`. */
function collectLabel(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const match = /^([a-z][a-z0-9_]*)=(priority|language|status|custom_field|tag_prefix)(?::(.+))?$/.exec(value);
  if (!match) fail(`--label expects name=source[:argument], e.g. intent=custom_field:360001234501 (got "${value}")`, 2);
  const [, name, source, argument] = match as unknown as [string, string, string, string | undefined];
  if ((source === 'custom_field' || source === 'tag_prefix') && !argument) fail(`--label ${name}=${source} needs an argument after ":"`, 2);
  const label = source === 'custom_field' ? { source, field: argument } : source === 'tag_prefix' ? { source, prefix: argument } : { source };
  return { ...previous, [name]: label };
}

export function registerDatasetCommands(program: Command) {
  const dataset = program.command('dataset').description('curated training datasets: build, inspect, export, upload');

  dataset
    .command('create')
    .description('define a dataset (what to take and how to curate it)')
    .requiredOption('--name <name>', 'a unique name, e.g. replies-en')
    .requiredOption('--task <task>', 'reply | triage | compliance | preference')
    .option('--connections <list>', 'comma-separated connection names or ids')
    .option('--since <iso>', 'only conversations created at or after this time')
    .option('--until <iso>', 'only conversations created before this time')
    .option('--label <name=source[:arg]>', 'a triage label (repeatable), e.g. intent=custom_field:360001234501', collectLabel, {})
    .option('--config <file.json>', 'further settings as JSON (filters, dedup, split, context, scrub, …)')
    .action(async (options: { name: string; task: string; connections?: string; since?: string; until?: string; label: Record<string, unknown>; config?: string }) => {
      await withDatabase(async ({ db }) => {
        const config: Record<string, unknown> = options.config ? readJsonObject(options.config) : {};
        if (options.connections) {
          const ids: string[] = [];
          for (const ref of options.connections.split(',').map((s) => s.trim()).filter(Boolean)) {
            const connection = await findConnection(db, ref);
            if (!connection) fail(`no connection "${ref}"`);
            ids.push(connection.id);
          }
          config.connections = ids;
        }
        if (options.since) config.since = options.since;
        if (options.until) config.until = options.until;
        if (Object.keys(options.label).length) config.labels = options.label;
        try {
          const row = await createDataset(db, { name: options.name, task: options.task as never, config }, 'cli');
          print(`created dataset ${row.name} (${row.id}); build it with: tuneloop dataset build ${row.name}`);
        } catch (error) {
          if (error instanceof DatasetInputError) fail(error.message, 2);
          throw error;
        }
      });
    });

  dataset
    .command('build')
    .description('build a new version now, with progress (or --queue it for the workers)')
    .argument('<dataset>', 'dataset name or id')
    .option('--queue', 'hand it to the running hub/workers instead of building here')
    .action(async (name: string, options: { queue?: boolean }) => {
      await withDatabase(async (database, config) => {
        const log = quietLogger(config);
        const row = await findDataset(database.db, name);
        if (!row) fail(`no dataset "${name}"`);
        if (options.queue) {
          const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log });
          try {
            const version = await createVersion(database.db, row.id, 'build', { queue });
            print(`queued: ${row.name}@${version.version} (${version.id})`);
          } finally {
            await queue.stop({ timeoutMs: 1_000 });
          }
          return;
        }
        const queued = await createVersion(database.db, row.id, 'build');
        const abort = new AbortController();
        const onSignal = () => abort.abort(new Error('interrupted'));
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const bar = new cliProgress.SingleBar(
          { format: `${row.name}@${queued.version} [{bar}] {value}/{total} conversations | {examples} examples | {rate}/s`, hideCursor: true, noTTYOutput: true, notTTYSchedule: 5_000, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        const started = Date.now();
        bar.start(0, 0, { examples: 0, rate: 0 });
        let built: VersionRow | null = null;
        try {
          built = await buildVersion({ database, store: openArtifactStore(config), log }, queued.id, {
            signal: abort.signal,
            onProgress: (p) => {
              bar.setTotal(p.total);
              bar.update(p.conversations, { examples: p.examples, rate: Math.round(p.conversations / Math.max(0.001, (Date.now() - started) / 1000)) });
            },
          });
        } catch (error) {
          await failVersion(database, queued.id, abort.signal.aborted ? 'interrupted' : error instanceof Error ? error.message : String(error));
          if (!(error instanceof PermanentBuildError) && !abort.signal.aborted) throw error;
        } finally {
          bar.stop();
        }
        built ??= (await resolveVersionRef(database.db, queued.id))?.version ?? null;
        if (built) print(`${row.name} ${summary(built)}${built.contentHash ? ` (content hash ${built.contentHash.slice(0, 16)}…)` : ''}`);
        if (built?.status !== 'ready') process.exitCode = 1;
      });
    });

  dataset
    .command('list')
    .description('datasets and their newest version')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listDatasets(db);
        const out = [];
        for (const row of rows) out.push({ dataset: row, versions: await listVersions(db, row.id) });
        if (options.json) return print(out.map(({ dataset: d, versions }) => ({ ...publicDataset(d), versions: versions.map((v) => publicVersion(v)) })));
        for (const { dataset: d, versions } of out) print(`${d.name}  ${d.task}  ${versions[0] ? summary(versions[0]) : 'no versions'}`);
      });
    });

  dataset
    .command('show')
    .description('a dataset with its versions, or one version (NAME@N) with its manifest, as JSON')
    .argument('<ref>', 'NAME, NAME@N, NAME@latest or a version id')
    .action(async (ref: string) => {
      await withDatabase(async ({ db }) => {
        const resolved = ref.includes('@') || /^[0-9a-f-]{36}$/i.test(ref) ? await resolveVersionRef(db, ref) : null;
        if (resolved) return print(publicVersion(resolved.version, { manifest: true }));
        const row = await findDataset(db, ref);
        if (!row) fail(`no dataset or version "${ref}"`);
        print({ ...publicDataset(row), versions: (await listVersions(db, row.id)).map((v) => publicVersion(v)) });
      });
    });

  dataset
    .command('diff')
    .description('what changed between two versions (examples added/removed/moved, counts, config)')
    .argument('<v1>', 'NAME@N or version id')
    .argument('<v2>', 'NAME@N, a version number of the same dataset, or version id')
    .action(async (a: string, b: string) => {
      await withDatabase(async ({ db }) => {
        const first = await resolveVersionRef(db, a);
        if (!first) fail(`no version "${a}"`);
        const second = await resolveVersionRef(db, /^\d+$/.test(b) ? `${first.dataset.name}@${b}` : b);
        if (!second) fail(`no version "${b}"`);
        print(await diffVersions(db, first.version, second.version));
      });
    });

  dataset
    .command('export')
    .description('write one split of a version to a JSONL file')
    .argument('<version>', 'NAME@N, NAME@latest or version id')
    .option('--split <split>', 'train | validation | test', 'train')
    .requiredOption('--out <file>', 'where to write the JSONL')
    .action(async (ref: string, options: { split: string; out: string }) => {
      if (!SPLITS.includes(options.split as Split)) fail(`--split must be one of ${SPLITS.join(', ')}`, 2);
      await withDatabase(async ({ db }, config) => {
        const resolved = await resolveVersionRef(db, ref);
        if (!resolved) fail(`no version "${ref}"`);
        try {
          const file = await exportSplitToFile(openArtifactStore(config), resolved.version, options.split as Split, options.out);
          print(`wrote ${file.examples} examples (${file.bytes} bytes, sha256 ${file.sha256.slice(0, 16)}…) to ${options.out}`);
        } catch (error) {
          if (error instanceof ExportError) fail(error.message);
          throw error;
        }
      });
    });

  dataset
    .command('upload')
    .description('add curated examples (JSONL in OpenAI chat format, or CSV with user,assistant) as a new version')
    .argument('<dataset>', 'dataset name or id')
    .argument('<file>', 'a .jsonl or .csv file')
    .option('--format <format>', 'jsonl | csv (default: from the file name)')
    .action(async (name: string, path: string, options: { format?: string }) => {
      const format = options.format ?? (path.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl');
      if (format !== 'jsonl' && format !== 'csv') fail('--format must be jsonl or csv', 2);
      let content: string;
      try {
        content = readFileSync(path, 'utf8');
      } catch (error) {
        return fail(`${path}: ${(error as Error).message}`, 2);
      }
      await withDatabase(async (database, config) => {
        const row = await findDataset(database.db, name);
        if (!row) fail(`no dataset "${name}"`);
        try {
          const version = await uploadVersion({ database, store: openArtifactStore(config), log: quietLogger(config) }, row, format, content, 'cli');
          print(`${row.name} ${summary(version)}`);
        } catch (error) {
          if (!(error instanceof UploadValidationError)) throw error;
          for (const problem of error.problems) process.stderr.write(`${path}:${problem.line}: ${problem.message}\n`);
          fail(`${error.total} problem(s); nothing was stored`);
        }
      });
    });
}
