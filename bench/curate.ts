/**
 * Curation throughput: extract + scrub + filter + dedup + split on 50,000 generated support
 * conversations (integrations/sandbox-kit/data.ts, built from real Bitext support data), in memory,
 * vs a baseline that only parses the same rows and writes one naive example per agent reply.
 * Both read the conversations as JSON rows (as they come out of Postgres) and write JSONL to a
 * file, in one process on one core, in the same run. `requireResolved: false` so every
 * conversation goes through every step (the default config drops unresolved ones up front).
 * A third pass without the PII scrubber shows how much of the time scrubbing takes.
 * BENCH_CONVERSATIONS=… changes the size.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSupportThreads, type SandboxThread } from '../integrations/sandbox-kit/data.ts';
import { parseDatasetConfig } from '../src/datasets/config.ts';
import { Curator } from '../src/datasets/curate.ts';
import type { SourceConversation } from '../src/datasets/types.ts';

const COUNT = Number(process.env.BENCH_CONVERSATIONS ?? 50_000);
const CONNECTION = '00000000-0000-4000-8000-0000000be7c4';

/** A sandbox thread as the row build.ts reads: the same fields Postgres gives it. */
function toRow(thread: SandboxThread, nextId: () => number): SourceConversation {
  const person = (p: { name: string; email: string }) => ({ id: p.email, name: p.name, email: p.email });
  return {
    id: thread.number,
    connectionId: CONNECTION,
    sourceId: String(thread.number),
    subject: thread.subject,
    status: thread.status,
    priority: thread.priority,
    language: thread.language,
    tags: [thread.category.toLowerCase(), thread.intent],
    customFields: { intent: thread.intent },
    requester: person(thread.customer),
    assignee: person(thread.agent),
    organizationId: thread.organization,
    deleted: false,
    createdAt: thread.createdAt,
    updatedAt: thread.updatedAt,
    messages: thread.turns.map((turn) => ({
      id: nextId(),
      authorRole: turn.kind === 'internal' ? 'agent' : turn.kind,
      author: turn.author ? person(turn.author) : null,
      visibility: turn.kind === 'internal' ? 'internal' : 'public',
      body: turn.body,
      createdAt: turn.at,
    })),
  };
}

function parseRow(json: string): SourceConversation {
  const row = JSON.parse(json) as SourceConversation & { createdAt: string; updatedAt: string };
  return { ...row, createdAt: new Date(row.createdAt), updatedAt: new Date(row.updatedAt) };
}

/** Buffered writes to a file, like the artifact writer. */
function sink(path: string) {
  const fd = openSync(path, 'w');
  let buffer: string[] = [];
  let size = 0;
  const flush = () => {
    if (size) writeSync(fd, buffer.join(''));
    buffer = [];
    size = 0;
  };
  return {
    line(text: string) {
      buffer.push(text, '\n');
      size += text.length + 1;
      if (size > 256 * 1024) flush();
    },
    close() {
      flush();
      closeSync(fd);
    },
  };
}

/** CPU seconds of this process since `start`: steadier than wall time on a busy machine. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function baseline(rows: string[], out: string) {
  const file = sink(out);
  let examples = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (const json of rows) {
    const conversation = parseRow(json);
    const history: Array<{ role: string; content: string }> = [];
    for (const message of conversation.messages) {
      if (message.visibility !== 'public') continue;
      const role = message.authorRole === 'customer' ? 'user' : 'assistant';
      if (role === 'assistant' && message.authorRole === 'agent' && history.length) {
        file.line(JSON.stringify({ messages: [...history, { role, content: message.body }] }));
        examples++;
      }
      history.push({ role, content: message.body });
    }
  }
  file.close();
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSince(cpu), examples };
}

function curate(rows: string[], out: string, scrub: boolean) {
  const file = sink(out);
  const curator = new Curator('reply', parseDatasetConfig({ connections: [CONNECTION], filters: { requireResolved: false } }), { scrub });
  let kept = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (const json of rows) {
    for (const example of curator.add(parseRow(json))) {
      file.line(example.line);
      kept++;
    }
  }
  file.close();
  const seconds = (performance.now() - started) / 1000;
  const steps = curator.summary().steps;
  return { seconds, cpuSeconds: cpuSince(cpu), kept, extracted: steps.extract.examples, steps };
}

export async function main() {
  let id = 0;
  const nextId = () => ++id;
  const rows = generateSupportThreads({ seed: 1, count: COUNT }).map((thread) => JSON.stringify(toRow(thread, nextId)));
  const dir = join(tmpdir(), `tuneloop-bench-curate-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    // A small warm-up of each path, so the JIT and the scrubber's word lists are ready for both.
    baseline(rows.slice(0, 500), join(dir, 'warm-base.jsonl'));
    curate(rows.slice(0, 500), join(dir, 'warm-curate.jsonl'), true);

    const base = baseline(rows, join(dir, 'baseline.jsonl'));
    const full = curate(rows, join(dir, 'curated.jsonl'), true);
    const noScrub = curate(rows, join(dir, 'curated-noscrub.jsonl'), false);

    const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');
    const time = (r: { seconds: number; cpuSeconds: number }) => `${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds.toFixed(2)} s CPU`;
    process.stdout.write(`${COUNT.toLocaleString('en-US')} conversations, reply task, one core; rates are per wall second (per CPU second)\n`);
    process.stdout.write(`baseline (parse + write one example per agent reply): ${time(base)}; ${rate(base.examples, base.seconds)} (${rate(base.examples, base.cpuSeconds)}) examples/s; ${base.examples} examples\n`);
    process.stdout.write(`curate (extract+scrub+filter+dedup+split): ${time(full)}; ${rate(full.extracted, full.seconds)} (${rate(full.extracted, full.cpuSeconds)}) examples/s through every step; ${full.extracted} extracted → ${full.kept} kept\n`);
    process.stdout.write(`curate without the PII scrubber: ${time(noScrub)}; ${rate(noScrub.extracted, noScrub.seconds)} (${rate(noScrub.extracted, noScrub.cpuSeconds)}) examples/s; the scrubber takes ${Math.round((100 * (full.cpuSeconds - noScrub.cpuSeconds)) / full.cpuSeconds)}% of the CPU time\n`);
    const perSecond = full.extracted / full.cpuSeconds;
    process.stdout.write(`ratio curate/baseline (examples per CPU second): ${(perSecond / (base.examples / base.cpuSeconds)).toFixed(3)}; goal ≥ 5,000 examples/s: ${perSecond >= 5000 ? 'met' : 'NOT met'}\n`);
    process.stdout.write(`steps: ${JSON.stringify({ filter: full.steps.filter.dropped, dedup: full.steps.dedup.dropped, split: full.steps.split })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
