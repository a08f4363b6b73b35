/**
 * The demo's summary (`npm run demo -- --json FILE`): what each stage of the loop produced, read
 * back through the same `tuneloop … --json` commands a user has, and parsed with zod so that a
 * changed output shape fails loudly instead of writing a wrong summary.
 */
import { z } from 'zod';

const harvests = z.array(z.object({ status: z.string(), conversations: z.object({ seen: z.number(), created: z.number(), updated: z.number() }), messagesWritten: z.number() }));
const version = z.object({ id: z.string(), version: z.number(), examples: z.record(z.string(), z.number()).nullable() });
const jobs = z.array(
  z.object({
    id: z.string(),
    status: z.string(),
    model: z.string(),
    task: z.string(),
    progress: z.object({ step: z.number().nullable(), total_steps: z.number().nullable(), train_loss: z.number().nullable(), valid_loss: z.number().nullable(), best_valid_loss: z.number().nullable() }),
  }),
);
const models = z.array(z.object({ id: z.string(), task: z.string(), status: z.string(), fine_tuning_job: z.string().nullable(), metrics: z.unknown() }));
const evaluated = z.object({
  base_model: z.string(),
  evaluation: z
    .object({ report: z.object({ candidate: z.object({ eval_loss: z.number().optional(), chrf: z.number().optional() }), baseline: z.object({ label: z.string(), eval_loss: z.number().optional(), chrf: z.number().optional() }).nullable() }).nullable() })
    .nullable(),
});
const alerts = z.array(z.object({ id: z.string(), status: z.string(), policy: z.object({ id: z.string() }) }));
const draftStatus = z.object({ progress: z.object({ tickets: z.number(), done: z.boolean(), tasks: z.record(z.string(), z.object({ posted: z.number(), skipped: z.number(), failed: z.number() })) }) });

export interface DemoSummary {
  ok: boolean;
  error?: string;
  startedAt?: string;
  seconds?: number;
  hub?: string;
  dashboard?: string | null;
  conversations: { harvested: number; messages: number };
  examples: { total: number; bySplit: Record<string, number>; datasetVersion: { id: string; version: number } | null };
  run: { id: string | null; status: string; steps: number | null; totalSteps: number | null; trainLoss: number | null; validLoss: number | null; bestValidLoss: number | null; metrics: unknown };
  drafts: { tickets: number; posted: number; skipped: number; failed: number };
  alerts: { raised: number; postedToSlack: number; byStatus: Record<string, number>; byPolicy: Record<string, number> };
  models: { candidate: string | null; production: string | null; all: Array<{ id: string; status: string }> };
  /** true: the tiny random model (`--quick`); false: a pretrained base model (SmolLM2 by default). */
  quick?: boolean;
  /** The candidate's evaluation on the held-out test split, against its base model (null when there was none). */
  base_model?: string | null;
  eval_loss_base?: number | null;
  eval_loss_candidate?: number | null;
  chrf_base?: number | null;
  chrf_candidate?: number | null;
  /** Around the loop once more (step 11-12): DPO pairs from rewritten drafts, compliance examples from decided alerts. */
  preference_pairs?: number;
  compliance_examples?: number;
  /**
   * Step 12: the false positives a policy's classifier, trained on the decided alerts, removes on
   * the held-out split at the recall of the rules alone; with its numbers beside it.
   */
  compliance_false_positives_removed?: number;
  compliance_classifier?: { policy: string; test_alerts: number; recall: number | null; rules_recall: number | null; false_positives_rules: number; false_positives_classifier: number; promoted: boolean } | null;
  drafts_judged?: number;
  replies_sent?: number;
}

function json<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const result = schema.safeParse(JSON.parse(text));
  if (!result.success) throw new Error(`unexpected output of ${what}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const value of values) out[value] = (out[value] ?? 0) + 1;
  return out;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export async function collectSummary(options: {
  /** Runs `tuneloop ARGS` and returns its stdout. */
  run: (args: string[]) => string;
  hubUrl: string;
  connection: string;
  dataset: string;
  task: string;
  draftBatchId: string | null;
  alertsPostedToSlack: number;
}): Promise<DemoSummary> {
  const { run } = options;
  const runs = json(harvests, run(['harvest', 'list', '--connection', options.connection, '--json']), 'harvest list');
  const latest = json(version, run(['dataset', 'show', `${options.dataset}@latest`]), 'dataset show');
  // The newest run of the summarised task (later steps train other tasks, e.g. a policy's classifier).
  const job = json(jobs, run(['train', 'list', '--limit', '20', '--json']), 'train list').find((each) => each.task === options.task);
  const registered = json(models, run(['models', 'list', '--task', options.task, '--json']), 'models list');
  const raised = json(alerts, run(['alerts', 'list', '--limit', '500', '--json']), 'alerts list');

  // Drafts are written by jobs: wait (up to a minute) for the batch to finish.
  let drafts = { tickets: 0, posted: 0, skipped: 0, failed: 0 };
  if (options.draftBatchId) {
    for (let attempt = 0; attempt < 60; attempt++) {
      const status = json(draftStatus, run(['draft', 'status', options.draftBatchId, '--json']), 'draft status');
      const tasks = Object.values(status.progress.tasks);
      drafts = {
        tickets: status.progress.tickets,
        posted: tasks.reduce((sum, task) => sum + task.posted, 0),
        skipped: tasks.reduce((sum, task) => sum + task.skipped, 0),
        failed: tasks.reduce((sum, task) => sum + task.failed, 0),
      };
      if (status.progress.done) break;
      await sleep(1_000);
    }
  }

  const model = registered.find((each) => job && each.fine_tuning_job === job.id) ?? null;
  const shown = model ? json(evaluated, run(['models', 'show', model.id]), 'models show') : null;
  const report = shown?.evaluation?.report ?? null;
  const base = report?.baseline?.label === 'base' ? report.baseline : null;
  const bySplit = latest.examples ?? {};
  return {
    ok: true,
    hub: options.hubUrl,
    conversations: {
      harvested: runs.reduce((sum, each) => sum + each.conversations.created, 0),
      messages: runs.reduce((sum, each) => sum + each.messagesWritten, 0),
    },
    examples: { total: Object.values(bySplit).reduce((sum, count) => sum + count, 0), bySplit, datasetVersion: { id: latest.id, version: latest.version } },
    run: {
      id: job?.id ?? null,
      status: job?.status ?? 'none',
      steps: job?.progress.step ?? null,
      totalSteps: job?.progress.total_steps ?? null,
      trainLoss: job?.progress.train_loss ?? null,
      validLoss: job?.progress.valid_loss ?? null,
      bestValidLoss: job?.progress.best_valid_loss ?? null,
      metrics: model?.metrics ?? null,
    },
    drafts,
    alerts: { raised: raised.length, postedToSlack: options.alertsPostedToSlack, byStatus: tally(raised.map((each) => each.status)), byPolicy: tally(raised.map((each) => each.policy.id)) },
    models: {
      candidate: model?.id ?? null,
      production: registered.find((each) => each.status === 'production')?.id ?? null,
      all: registered.map((each) => ({ id: each.id, status: each.status })),
    },
    base_model: shown?.base_model ?? job?.model ?? null,
    eval_loss_base: base?.eval_loss ?? null,
    eval_loss_candidate: report?.candidate.eval_loss ?? null,
    chrf_base: base?.chrf ?? null,
    chrf_candidate: report?.candidate.chrf ?? null,
  };
}

/** The summary of a demo that stopped on an error: nothing counted, the error named. */
export function failedSummary(error: string, startedAt: Date): DemoSummary {
  return {
    ok: false,
    error,
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    conversations: { harvested: 0, messages: 0 },
    examples: { total: 0, bySplit: {}, datasetVersion: null },
    run: { id: null, status: 'none', steps: null, totalSteps: null, trainLoss: null, validLoss: null, bestValidLoss: null, metrics: null },
    drafts: { tickets: 0, posted: 0, skipped: 0, failed: 0 },
    alerts: { raised: 0, postedToSlack: 0, byStatus: {}, byPolicy: {} },
    models: { candidate: null, production: null, all: [] },
  };
}

/** What a demo that went through the whole loop must show; each problem is one readable line. */
export function summaryProblems(summary: DemoSummary): string[] {
  const problems: string[] = [];
  if (!summary.ok) problems.push(`the demo failed: ${summary.error ?? 'no error given'}`);
  if (summary.conversations.harvested <= 0) problems.push('no conversations harvested');
  if (summary.examples.total <= 0) problems.push('no examples in the dataset');
  for (const split of ['train', 'validation', 'test']) if (!(summary.examples.bySplit[split] && summary.examples.bySplit[split] > 0)) problems.push(`no ${split} examples`);
  if (summary.run.status !== 'succeeded') problems.push(`the fine-tuning run is ${summary.run.status}, not succeeded`);
  // A pretrained model's run may stop early (early stopping keeps the best checkpoint); the tiny one runs every step.
  const stepsOk = summary.run.steps !== null && summary.run.steps > 0 && (summary.quick === false ? summary.run.steps <= (summary.run.totalSteps ?? 0) : summary.run.steps === summary.run.totalSteps);
  if (!stepsOk) problems.push(`the run did not reach its last step (${summary.run.steps}/${summary.run.totalSteps})`);
  if (summary.run.validLoss === null) problems.push('the run reported no validation loss');
  if (summary.run.metrics === null) problems.push('the candidate has no evaluation metrics');
  for (const key of ['eval_loss_base', 'eval_loss_candidate', 'chrf_base', 'chrf_candidate'] as const) if (typeof summary[key] !== 'number') problems.push(`no ${key} in the summary`);
  if (!summary.base_model) problems.push('no base_model in the summary');
  if (summary.drafts.posted <= 0) problems.push('no drafts posted');
  if (summary.alerts.raised <= 0) problems.push('no alerts raised');
  if (summary.alerts.postedToSlack < summary.alerts.raised) problems.push(`${summary.alerts.raised - summary.alerts.postedToSlack} alerts not posted to Slack`);
  if (!(summary.alerts.byStatus.resolved && summary.alerts.byStatus.resolved >= 1)) problems.push('no alert resolved from Slack');
  if (!summary.models.candidate) problems.push('the run registered no model');
  else if (summary.models.production !== summary.models.candidate) problems.push('the candidate was not promoted to production');
  return problems;
}
