/**
 * `tuneloop review create|next|score|summary`: human evaluation from the terminal. `next` shows
 * one blind pair (the prompt and answers A and B, never which model wrote which); `score` records
 * the verdict. The reviewer is `--reviewer`, else the OS user name.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { openArtifactStore } from '../../artifacts/index.ts';
import { createReviewPairs, MAX_REVIEW_PAIRS, nextReviewPair, ReviewError, reviewSummary, scoreReviewPair, type ReviewSummary } from '../../models/evaluation/reviews.ts';
import { fail, withDatabase } from '../context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkId(id: string, what: string): string {
  if (!UUID.test(id)) fail(`"${id}" is not ${what} id`, 2);
  return id;
}

function reviewerOf(option: string | undefined): string {
  return `cli:${option ?? userInfo().username}`;
}

function rethrow(error: unknown): never {
  if (error instanceof ReviewError) fail(error.message);
  throw error;
}

export function describeSummary(summary: ReviewSummary): string {
  const rate = summary.candidateWinRate === null ? 'no decisive verdict yet' : `candidate wins ${(summary.candidateWinRate * 100).toFixed(1)} % of decisive pairs (95 % CI ${((summary.interval?.lower ?? 0) * 100).toFixed(1)}–${((summary.interval?.upper ?? 0) * 100).toFixed(1)} %)`;
  return `${summary.reviewed}/${summary.pairs} pairs reviewed: candidate ${summary.candidateWins}, baseline ${summary.baselineWins}, ties ${summary.ties}; ${rate}`;
}

export function registerReviewCommands(program: Command) {
  const review = program.command('review').description('human evaluation: blind side-by-side pairs of candidate and baseline answers');

  review
    .command('create')
    .description('create review pairs from a succeeded evaluation (run where the evaluation ran)')
    .argument('<evaluation>', 'evaluation id (tuneloop models show ID lists them)')
    .option('--pairs <n>', `how many pairs (at most ${MAX_REVIEW_PAIRS})`, '20')
    .action(async (id: string, options: { pairs: string }) => {
      const count = Number(options.pairs);
      if (!Number.isInteger(count) || count < 1 || count > MAX_REVIEW_PAIRS) fail(`--pairs must be a whole number from 1 to ${MAX_REVIEW_PAIRS}`, 2);
      await withDatabase(async (database, config) => {
        const result = await createReviewPairs(database.db, openArtifactStore(config), config.TUNELOOP_HOME, checkId(id, 'an evaluation'), count).catch(rethrow);
        process.stdout.write(`${result.created} new pair${result.created === 1 ? '' : 's'} (${result.total} in all) for evaluation ${id}\n`);
      });
    });

  review
    .command('next')
    .description('show the next pair waiting for your verdict')
    .option('--evaluation <id>', 'only pairs of this evaluation')
    .option('--reviewer <name>', 'who is reviewing (default: your user name)')
    .option('--json', 'print JSON')
    .action(async (options: { evaluation?: string; reviewer?: string; json?: boolean }) => {
      await withDatabase(async (database) => {
        const pair = await nextReviewPair(database.db, reviewerOf(options.reviewer), options.evaluation ? checkId(options.evaluation, 'an evaluation') : undefined);
        if (!pair) {
          process.stdout.write('no pair waiting for review\n');
          return;
        }
        if (options.json) {
          process.stdout.write(`${JSON.stringify(pair, null, 2)}\n`);
          return;
        }
        const prompt = pair.prompt.map((message) => `[${message.role}]\n${message.content}`).join('\n\n');
        process.stdout.write(`pair ${pair.id}\n\n${prompt}\n\n=== Answer A ===\n${pair.a}\n\n=== Answer B ===\n${pair.b}\n\nscore it: tuneloop review score ${pair.id} a|b|tie\n`);
      });
    });

  review
    .command('score')
    .description('record your verdict on a pair')
    .argument('<pair>', 'pair id')
    .argument('<verdict>', 'a, b or tie')
    .option('--reviewer <name>', 'who is reviewing (default: your user name)')
    .action(async (id: string, verdict: string, options: { reviewer?: string }) => {
      if (verdict !== 'a' && verdict !== 'b' && verdict !== 'tie') fail(`verdict must be a, b or tie, not "${verdict}"`, 2);
      await withDatabase(async (database) => {
        await scoreReviewPair(database.db, checkId(id, 'a pair'), verdict, reviewerOf(options.reviewer)).catch(rethrow);
        process.stdout.write(`recorded: ${verdict}\n`);
      });
    });

  review
    .command('summary')
    .description("an evaluation's human verdicts: candidate vs baseline win rate")
    .argument('<evaluation>', 'evaluation id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      await withDatabase(async (database) => {
        const summary = await reviewSummary(database.db, checkId(id, 'an evaluation'));
        process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${describeSummary(summary)}\n`);
      });
    });
}
