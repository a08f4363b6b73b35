/**
 * `npm run bench [-- name…]`: runs the named benchmarks (default: all) one after another. Each
 * prints its own numbers and a ratio against a baseline measured in the same run.
 */
const BENCHES: Record<string, () => Promise<unknown>> = {
  http: () => import('./http.ts').then((m) => m.main()),
  harvest: () => import('./harvest.ts').then((m) => m.main()),
  curate: () => import('./curate.ts').then((m) => m.main()),
  webhook: () => import('./webhook.ts').then((m) => m.main()),
  train: () => import('./train.ts').then((m) => m.main()),
  serve: () => import('./serve.ts').then((m) => m.main()),
};

/** Names of benches; an option's value (`--json FILE`) is not one. */
const args = process.argv.slice(2);
const requested = args.filter((arg, index) => !arg.startsWith('-') && args[index - 1] !== '--json');
const unknown = requested.filter((name) => !(name in BENCHES));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(2);
}
for (const name of requested.length ? requested : Object.keys(BENCHES)) {
  process.stdout.write(`\n== ${name} ==\n`);
  const bench = BENCHES[name];
  if (bench) await bench();
}
