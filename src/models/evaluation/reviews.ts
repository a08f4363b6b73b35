/**
 * Human evaluation: blind side-by-side pairs from an evaluation's predictions (candidate vs its
 * baseline on the same held-out prompts), reviewed one at a time by people who do not know which
 * side is which. The summary — the candidate's win rate among decisive pairs with a Wilson 95 %
 * interval, and ties — joins the evaluation report.
 *
 * Answers come from the evaluation's working folder (the worker's report.json names each model's
 * predictions file), so pairs are created on the machine that ran the evaluation, once it has
 * succeeded; prompts come from the dataset's test split in the artifact store (the predictions are
 * aligned with its first lines, as the evaluation read them). An erased dataset has no prompts
 * left, so no pairs.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { isAbsolute, join } from 'node:path';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ArtifactStore } from '../../artifacts/index.ts';
import type { Db } from '../../db/client.ts';
import { reviewPairs, type ReviewSide, type ReviewVerdict } from '../../db/schema/index.ts';
import { evaluationDir } from './handler.ts';
import { getEvaluation } from './evaluations.ts';
import { wilsonInterval, type Interval } from '../proportions.ts';

export const MAX_REVIEW_PAIRS = 500;
/** A pair handed out and not scored within this long goes back to the queue. */
const CLAIM_MINUTES = 30;

export class ReviewError extends Error {
  override name = 'ReviewError';
  constructor(
    readonly code: 'not_found' | 'not_ready' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

const WorkerReport = z.object({ models: z.array(z.looseObject({ name: z.string(), predictions_file: z.string() })) });
const PredictionLine = z.looseObject({ prediction: z.string().nullable() });
const TestLine = z.looseObject({ messages: z.array(z.looseObject({ role: z.string(), content: z.string() })).min(2) });

async function jsonLines<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T[]> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new ReviewError('not_ready', `${what} is not on this machine (${path}); create review pairs where the evaluation ran`);
  });
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line, index) => {
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new ReviewError('not_ready', `${what} line ${index + 1} is not in the expected shape`);
      return parsed.data;
    });
}

/** The test split's examples as the evaluation read them: non-empty lines in order; a preference line is its prompt plus the chosen reply. */
async function testPrompts(store: ArtifactStore, key: string | undefined): Promise<Array<z.infer<typeof TestLine>>> {
  const stream = key ? await store.get(key) : null;
  if (!stream) throw new ReviewError('not_ready', "the evaluation's test split is gone from the artifact store (erased?)");
  return (await text(stream))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const row = JSON.parse(line) as { messages?: unknown; prompt?: unknown[]; chosen?: unknown[] };
      const messages = row.messages ?? (Array.isArray(row.prompt) && Array.isArray(row.chosen) ? [...row.prompt, ...row.chosen.slice(-1)] : undefined);
      const parsed = TestLine.safeParse({ messages });
      if (!parsed.success) throw new ReviewError('not_ready', `test split line ${index + 1} is not a chat example`);
      return parsed.data;
    });
}

/** Stable pseudo-random number in [0, 1) from a key: the same evaluation always gets the same sample and sides. */
function unit(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Creates up to `count` pairs from a succeeded evaluation (prompts where both answered and the
 * answers differ), sampled and sided deterministically. Running it again adds only missing pairs.
 */
export async function createReviewPairs(db: Db, store: ArtifactStore, home: string, evaluationId: string, count: number): Promise<{ created: number; total: number }> {
  const evaluation = await getEvaluation(db, evaluationId);
  if (!evaluation) throw new ReviewError('not_found', 'no such evaluation');
  if (evaluation.status !== 'succeeded') throw new ReviewError('not_ready', `the evaluation is ${evaluation.status}; pairs need a succeeded one`);
  const dir = evaluationDir(home, evaluationId);
  const reportText = await readFile(join(dir, 'report.json'), 'utf8').catch(() => null);
  if (reportText === null) throw new ReviewError('not_ready', `the evaluation's files are not on this machine (${dir}); create review pairs where it ran`);
  const report = WorkerReport.parse(JSON.parse(reportText));
  const fileOf = (name: string) => {
    const entry = report.models.find((model) => model.name === name);
    if (!entry) throw new ReviewError('not_ready', `the evaluation has no ${name} predictions`);
    return isAbsolute(entry.predictions_file) ? entry.predictions_file : join(dir, entry.predictions_file);
  };
  const [tests, candidate, baseline] = await Promise.all([
    testPrompts(store, evaluation.report?.testFile),
    jsonLines(fileOf('candidate'), PredictionLine, 'candidate predictions'),
    jsonLines(fileOf('baseline'), PredictionLine, 'baseline predictions'),
  ]);

  const usable = candidate
    .map((answer, position) => ({ position, candidate: answer.prediction?.trim() ?? '', baseline: baseline[position]?.prediction?.trim() ?? '', test: tests[position] }))
    .filter((pair) => pair.test && pair.candidate && pair.baseline && pair.candidate !== pair.baseline)
    .sort((a, b) => unit(`${evaluationId}:${a.position}`) - unit(`${evaluationId}:${b.position}`))
    .slice(0, Math.min(count, MAX_REVIEW_PAIRS));
  const rows = usable.map((pair) => {
    const candidateSide: ReviewSide = unit(`${evaluationId}:${pair.position}:side`) < 0.5 ? 'a' : 'b';
    const messages = pair.test?.messages ?? [];
    const prompt = messages.slice(0, messages.findLastIndex((message) => message.role === 'assistant')).map(({ role, content }) => ({ role, content }));
    return {
      evaluationId,
      position: pair.position,
      prompt,
      answerA: candidateSide === 'a' ? pair.candidate : pair.baseline,
      answerB: candidateSide === 'a' ? pair.baseline : pair.candidate,
      candidateSide,
    };
  });
  const inserted = rows.length ? await db.insert(reviewPairs).values(rows).onConflictDoNothing().returning({ id: reviewPairs.id }) : [];
  const [total] = await db.select({ n: sql<number>`count(*)::int` }).from(reviewPairs).where(eq(reviewPairs.evaluationId, evaluationId));
  return { created: inserted.length, total: total?.n ?? 0 };
}

/** What a reviewer sees: the prompt and two answers, never which model gave which. */
export interface BlindPair {
  id: string;
  evaluationId: string;
  prompt: Array<{ role: string; content: string }>;
  a: string;
  b: string;
}

/** The next unreviewed pair for `reviewer` (one claimed by them, else the oldest free one), or null. */
export async function nextReviewPair(db: Db, reviewer: string, evaluationId?: string): Promise<BlindPair | null> {
  const rows = await db.execute<{ id: string; evaluation_id: string; prompt: BlindPair['prompt']; answer_a: string; answer_b: string }>(sql`
    UPDATE ${reviewPairs} SET claimed_by = ${reviewer}, claimed_at = now()
    WHERE id = (
      SELECT id FROM ${reviewPairs}
      WHERE reviewed_at IS NULL
        ${evaluationId ? sql`AND evaluation_id = ${evaluationId}` : sql``}
        AND (claimed_by IS NULL OR claimed_by = ${reviewer} OR claimed_at < now() - make_interval(mins => ${CLAIM_MINUTES}))
      ORDER BY (claimed_by = ${reviewer}) DESC NULLS LAST, created_at, position
      LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id, evaluation_id, prompt, answer_a, answer_b`);
  const row = rows.rows[0];
  return row ? { id: row.id, evaluationId: row.evaluation_id, prompt: row.prompt, a: row.answer_a, b: row.answer_b } : null;
}

/** Records a verdict; a pair is scored once (a second verdict is a conflict, nothing changes). */
export async function scoreReviewPair(db: Db, id: string, verdict: ReviewVerdict, reviewer: string): Promise<void> {
  const [updated] = await db
    .update(reviewPairs)
    .set({ verdict, reviewer, reviewedAt: new Date() })
    .where(and(eq(reviewPairs.id, id), isNull(reviewPairs.reviewedAt)))
    .returning({ id: reviewPairs.id });
  if (updated) return;
  const [exists] = await db.select({ id: reviewPairs.id }).from(reviewPairs).where(eq(reviewPairs.id, id));
  throw exists ? new ReviewError('conflict', 'this pair was already reviewed') : new ReviewError('not_found', 'no such review pair');
}

export interface ReviewSummary {
  pairs: number;
  reviewed: number;
  candidateWins: number;
  baselineWins: number;
  ties: number;
  /** Wins among decisive (non-tie) verdicts, with its Wilson 95 % interval; null before any. */
  candidateWinRate: number | null;
  interval: Interval | null;
}

export async function reviewSummary(db: Db, evaluationId: string): Promise<ReviewSummary> {
  const rows = await db
    .select({ verdict: reviewPairs.verdict, side: reviewPairs.candidateSide, n: sql<number>`count(*)::int` })
    .from(reviewPairs)
    .where(eq(reviewPairs.evaluationId, evaluationId))
    .groupBy(reviewPairs.verdict, reviewPairs.candidateSide);
  const summary = { pairs: 0, reviewed: 0, candidateWins: 0, baselineWins: 0, ties: 0 };
  for (const row of rows) {
    summary.pairs += row.n;
    if (!row.verdict) continue;
    summary.reviewed += row.n;
    if (row.verdict === 'tie') summary.ties += row.n;
    else if (row.verdict === row.side) summary.candidateWins += row.n;
    else summary.baselineWins += row.n;
  }
  const decisive = summary.candidateWins + summary.baselineWins;
  return { ...summary, candidateWinRate: decisive ? summary.candidateWins / decisive : null, interval: wilsonInterval(summary.candidateWins, decisive) };
}
