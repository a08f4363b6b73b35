/**
 * `node --import tsx scripts/check-demo-summary.ts FILE`: reads a summary written by
 * `npm run demo -- --json FILE --exit` and exits 1 with one line per problem unless the demo went
 * through the whole loop (see summaryProblems). `npm run test:demo` runs both.
 */
import { readFileSync } from 'node:fs';
import { summaryProblems, type DemoSummary } from './demo-summary.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: check-demo-summary.ts FILE\n');
  process.exit(2);
}
const summary = JSON.parse(readFileSync(file, 'utf8')) as DemoSummary;
const problems = summaryProblems(summary);
for (const problem of problems) process.stderr.write(`demo summary: ${problem}\n`);
process.stdout.write(
  problems.length
    ? ''
    : `demo summary ok: ${summary.conversations.harvested} conversations, ${summary.examples.total} examples, run ${summary.run.status} (${summary.run.steps} steps), ${summary.drafts.posted} drafts posted, ${summary.alerts.raised} alerts, production model ${summary.models.production} (${summary.seconds ?? '?'} s)\n`,
);
process.exit(problems.length ? 1 : 0);
