/**
 * `npm run bench [-- name…] [--json FILE]`: runs the named benchmarks (default: all) one after
 * another. Each prints its own numbers and a ratio against a baseline measured in the same run, and
 * returns its figures; with --json they are written to FILE (one benchmark: its figures; several:
 * by benchmark name).
 */
import { writeFileSync } from 'node:fs';

type Figures = Record<string, unknown> | void;

const BENCHES: Record<string, () => Promise<Figures>> = {
  http: () => import('./http.ts').then((m) => m.main()),
  harvest: () => import('./harvest.ts').then((m) => m.main()),
  curate: () => import('./curate.ts').then((m) => m.main()),
  webhook: () => import('./webhook.ts').then((m) => m.main()),
  train: () => import('./train.ts').then((m) => m.main()),
  serve: () => import('./serve.ts').then((m) => m.main()),
  'serve-cpu': () => import('./serve-cpu.ts').then((m) => m.main()),
  slack: () => import('./slack.ts').then((m) => m.main()),
  compliance: () => import('./compliance.ts').then((m) => m.main()),
  inference: () => import('./inference.ts').then((m) => m.main()),
};

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
if (jsonAt >= 0 && !jsonFile) {
  process.stderr.write('--json needs a file name\n');
  process.exit(2);
}
const requested = args.filter((arg, i) => !arg.startsWith('-') && (jsonAt < 0 || i !== jsonAt + 1));
const unknown = requested.filter((name) => !(name in BENCHES));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(2);
}
const names = requested.length ? requested : Object.keys(BENCHES);
const results: Record<string, Figures> = {};
for (const name of names) {
  process.stdout.write(`\n== ${name} ==\n`);
  const bench = BENCHES[name];
  if (bench) results[name] = await bench();
}
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(names.length === 1 ? (results[names[0] ?? ''] ?? {}) : results, null, 2)}\n`);
