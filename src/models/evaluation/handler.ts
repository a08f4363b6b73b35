/**
 * The `model.evaluate` job: a model and its baseline side by side on the held-out test split of
 * the dataset version it was trained on, through `python -m tuneloop_worker evaluate`.
 *
 * - Baseline: the task's production model (status `production`), or, when there is none or the
 *   model is production itself, the model's own base model.
 * - Idempotent: a finished evaluation (succeeded or failed) is never run again; a retry of a
 *   running one starts the worker over in the same folder, TUNELOOP_HOME/evaluations/<id>.
 * - Failures a person must fix (no test split, a bad model, a missing venv) fail the evaluation at
 *   once; others are thrown for pg-boss to retry, and fail it on the last attempt.
 * - Local models are loaded by the worker (eval loss, generations, latency). A model served by
 *   OpenAI (backend `openai`, and the base of such a model) answers through the inference client
 *   (openai.ts), and the worker scores those answers (no eval loss).
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { ArtifactStore } from '../../artifacts/index.ts';
import type { Tx } from '../../db/client.ts';
import { datasetVersions, fineTuningJobs, modelEvaluations, models, type BaselineLabel } from '../../db/schema/index.ts';
import { emitEvent } from '../../events/emit.ts';
import type { Logger } from '../../log.ts';
import type { HubDeps } from '../../deps.ts';
import { QUEUE_OPTIONS, type JobHandler } from '../../queue/queue.ts';
import { workerSettings, type Hyperparameters } from '../../training/hyperparameters.ts';
import { stopLeftoverWorker } from '../../training/worker/process.ts';
import { withRetrievedExamples } from './retrieval.ts';
import { EvaluationWorkerError, runEvaluationWorker, type WorkerMetrics } from './worker.ts';
import { writeServedPredictions } from './openai.ts';
import { getEvaluation, pendingOrNewEvaluation, type EvaluationReport, type ModelMetrics } from './evaluations.ts';
import { createInferenceClient, ModelRequestError, type InferenceClient, type ServedModel } from '../inference/client.ts';
import { resolveBaseModel } from '../../training/base-models/registry.ts';
import { EvalConfig } from '../../training/worker/contract/eval-config.ts';
import { StoredManifest } from '../../datasets/manifest.ts';
import { ClassifierFileError, policyOfTask } from '../../training/classifier/model.ts';
import { ClassifierEvaluationError, evaluateClassifier } from './classifier.ts';

type ModelRow = typeof models.$inferSelect;
type Deps = HubDeps & { store: ArtifactStore; inference?: InferenceClient };

/** A failure a retry cannot fix: the evaluation fails with this message. */
class EvaluationInputError extends Error {
  override name = 'EvaluationInputError';
}

export function evaluationDir(home: string, evaluationId: string): string {
  return resolve(home, 'evaluations', evaluationId);
}

/** A side of the comparison as the inference client sees it; `base` is a model's own base model. */
function served(model: ModelRow, base = false): ServedModel {
  if (!base) return model;
  const openai = model.backend === 'openai';
  return { id: model.id, task: model.task, backend: model.backend, baseModel: model.baseModel, adapterPath: null, modelPath: null, providerModel: openai ? model.baseModel : null };
}

/** The worker's view of one local model (a full fine-tune's own folder replaces the base; a registered base model's name becomes its folder). */
function localSpec(name: string, model: ServedModel, home: string) {
  if (model.modelPath) return { name, base_model: model.modelPath };
  return { name, base_model: resolveBaseModel(home, model.baseModel), ...(model.adapterPath ? { adapter_path: model.adapterPath } : {}) };
}

async function productionOf(db: Tx, task: string): Promise<ModelRow | null> {
  const [row] = await db.select().from(models).where(and(eq(models.task, task), eq(models.status, 'production'))).orderBy(desc(models.createdAt)).limit(1);
  return row ?? null;
}

/**
 * The first EVALUATION_MAX_EXAMPLES test examples as chat lines. Preference (DPO) lines become the
 * prompt plus the chosen reply: a DPO model writes replies and is scored like one.
 */
async function testLines(deps: Deps, model: ModelRow): Promise<{ key: string; lines: string[] }> {
  if (!model.datasetVersionId) throw new EvaluationInputError(`model ${model.id} was trained on uploaded files, not a dataset version: it has no held-out test split`);
  const [version] = await deps.database.db.select().from(datasetVersions).where(eq(datasetVersions.id, model.datasetVersionId));
  if (!version || version.status !== 'ready') throw new EvaluationInputError(`dataset version ${model.datasetVersionId} is ${version?.status ?? 'gone'}, not ready`);
  const test = StoredManifest.safeParse(version.manifest).data?.splits.test;
  if (!test || test.examples === 0) throw new EvaluationInputError(`dataset version ${version.id} has no test examples`);
  const { key } = test;
  const stream = await deps.store.get(key);
  if (!stream) throw new EvaluationInputError(`the test split ${key} is missing from the artifact store`);
  const lines = (await text(stream))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, deps.config.EVALUATION_MAX_EXAMPLES)
    .map((line) => {
      const row = JSON.parse(line) as { messages?: unknown; prompt?: unknown; chosen?: unknown };
      if (row.messages || !Array.isArray(row.prompt) || !Array.isArray(row.chosen)) return line;
      return JSON.stringify({ messages: [...(row.prompt as unknown[]), ...(row.chosen as unknown[]).slice(-1)] });
    });
  return { key, lines };
}

/** The training run's sequence length, so the loss is computed on what the model was trained on. */
async function maxSeqLength(db: Tx, model: ModelRow): Promise<number> {
  if (!model.fineTuningJobId) return 1024;
  const [job] = await db.select({ method: fineTuningJobs.method, hyperparameters: fineTuningJobs.hyperparameters }).from(fineTuningJobs).where(eq(fineTuningJobs.id, model.fineTuningJobId));
  const value = job ? workerSettings(job.method, job.hyperparameters as Hyperparameters).max_seq_length : undefined;
  return typeof value === 'number' ? value : 1024;
}

/** Worker metrics without nulls (ModelMetrics' numbers are optional, never null). */
function metricsOf(metrics: WorkerMetrics | undefined): ModelMetrics {
  if (!metrics) throw new EvaluationWorkerError('the worker report lacks a model it was asked to evaluate', true);
  return Object.fromEntries(Object.entries(metrics).filter(([, value]) => value !== null && value !== undefined)) as unknown as ModelMetrics;
}

async function finish(deps: Deps, evaluationId: string, modelId: string, outcome: { report: EvaluationReport; baselineModelId: string | null; baselineLabel: BaselineLabel } | { error: string }): Promise<void> {
  await deps.database.db.transaction(async (tx) => {
    const set = 'error' in outcome ? { status: 'failed' as const, error: outcome.error } : { status: 'succeeded' as const, error: null, report: outcome.report as unknown as Record<string, unknown>, baselineModelId: outcome.baselineModelId, baselineLabel: outcome.baselineLabel };
    const [row] = await tx
      .update(modelEvaluations)
      .set({ ...set, finishedAt: new Date() })
      .where(and(eq(modelEvaluations.id, evaluationId), inArray(modelEvaluations.status, ['queued', 'running'])))
      .returning({ id: modelEvaluations.id });
    if (!row) return; // finished meanwhile by another attempt
    // The run's Slack message shows the evaluation and what the gate says: the ask to promote.
    const [trained] = await tx.select({ jobId: models.fineTuningJobId }).from(models).where(eq(models.id, modelId));
    if (trained?.jobId && deps.queue) await deps.queue.send('slack.notify', { kind: 'run.status', subjectId: trained.jobId }, { tx });
    await emitEvent(tx, { type: 'evaluation.finished', subjectId: evaluationId, data: { modelId, status: set.status, ...('report' in set ? { report: set.report } : { error: set.error }) } }, { queue: deps.queue });
  });
}

/**
 * Reply models whose drafts get retrieved examples (RETRIEVAL_TASKS) are scored a second time with
 * them, the candidate alone, so the report shows the effect of retrieval. Null when it does not apply.
 */
async function retrievalRun(
  deps: Deps,
  input: { model: ModelRow; sides: Array<{ name: string; model: ReturnType<typeof served> }>; test: { lines: string[] }; dir: string; config: EvalConfig; log: Logger; signal: AbortSignal | undefined },
): Promise<ModelMetrics | null> {
  const candidate = input.sides.find((side) => side.name === 'candidate');
  if (input.model.task !== 'reply' || !deps.config.RETRIEVAL_TASKS.includes('reply') || candidate?.model.backend !== 'local' || !input.model.datasetVersionId) return null;
  const lines = await withRetrievedExamples(deps.database.db, input.model.datasetVersionId, input.test.lines);
  if (!lines) return null;
  const dir = join(input.dir, 'retrieval');
  await mkdir(dir, { recursive: true });
  const testPath = join(dir, 'test.jsonl');
  await writeFile(testPath, `${lines.join('\n')}\n`);
  const configPath = join(dir, 'eval.json');
  const config: EvalConfig = { ...input.config, test_file: testPath, models: [localSpec('candidate', candidate.model, deps.config.TUNELOOP_HOME)], predictions: [] };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  input.log.info({ examples: lines.length }, 'evaluating the candidate with retrieved examples');
  const { report } = await runEvaluationWorker({ config: deps.config, configPath, dir, log: input.log, signal: input.signal }).finally(() => rm(testPath, { force: true }));
  return metricsOf(report.models.find((entry) => entry.name === 'candidate')?.metrics);
}

export async function runEvaluation(deps: Deps, evaluationId: string, options: { signal?: AbortSignal; lastAttempt: boolean }): Promise<void> {
  const { db } = deps.database;
  const evaluation = await getEvaluation(db, evaluationId);
  if (!evaluation || evaluation.status === 'succeeded' || evaluation.status === 'failed') return;
  const log = deps.log.child({ module: 'evaluation', evaluationId, modelId: evaluation.modelId });
  const [model] = await db.select().from(models).where(eq(models.id, evaluation.modelId));
  if (!model) return; // deleted: its evaluations went with it (cascade)
  try {
    const production = await productionOf(db, model.task);
    const baseline = production && production.id !== model.id ? { row: production, label: 'production' as const } : { row: null, label: 'base' as const };
    const sides = [
      { name: 'candidate', model: served(model) },
      { name: 'baseline', model: baseline.row ? served(baseline.row) : served(model, true) },
    ];
    const test = await testLines(deps, model);
    if (policyOfTask(model.task)) {
      // A policy's classifier is a file of weights the hub scores itself, on the whole test split.
      await db.update(modelEvaluations).set({ status: 'running', startedAt: evaluation.startedAt ?? new Date(), baselineModelId: baseline.row?.id ?? null, baselineLabel: baseline.label }).where(eq(modelEvaluations.id, evaluationId));
      const report = await evaluateClassifier(deps.store, { model, production: baseline.row, testKey: test.key });
      await finish(deps, evaluationId, model.id, { report, baselineModelId: baseline.row?.id ?? null, baselineLabel: baseline.label });
      log.info({ candidate: report.candidate, baseline: report.baseline }, 'classifier evaluation succeeded');
      return;
    }

    await db.update(modelEvaluations).set({ status: 'running', startedAt: evaluation.startedAt ?? new Date(), baselineModelId: baseline.row?.id ?? null, baselineLabel: baseline.label }).where(eq(modelEvaluations.id, evaluationId));
    const dir = evaluationDir(deps.config.TUNELOOP_HOME, evaluationId);
    await mkdir(dir, { recursive: true });
    // A hub killed mid-evaluation leaves its worker running in this folder.
    await stopLeftoverWorker(dir, log, 5_000);
    const testPath = join(dir, 'test.jsonl');
    await writeFile(`${testPath}.tmp`, `${test.lines.join('\n')}\n`);
    await rename(`${testPath}.tmp`, testPath);
    const evaluated = EvalConfig.shape.task.safeParse(model.task === 'preference' ? 'reply' : model.task);
    if (!evaluated.success) throw new EvaluationInputError(`models of task ${model.task} cannot be evaluated`);
    const task = evaluated.data;
    const predictions = [];
    for (const side of sides.filter((s) => s.model.backend !== 'local')) {
      const file = join(dir, `served-${side.name}.jsonl`);
      const client = (deps.inference ??= createInferenceClient({ config: deps.config, log: deps.log }));
      await writeServedPredictions({ client, model: side.model, lines: test.lines, json: task !== 'reply', maxTokens: deps.config.EVALUATION_MAX_NEW_TOKENS, file, signal: options.signal });
      predictions.push({ name: side.name, file });
    }
    const config: EvalConfig = {
      task,
      test_file: testPath,
      models: sides.filter((s) => s.model.backend === 'local').map((s) => localSpec(s.name, s.model, deps.config.TUNELOOP_HOME)),
      predictions,
      max_examples: deps.config.EVALUATION_MAX_EXAMPLES,
      max_new_tokens: deps.config.EVALUATION_MAX_NEW_TOKENS,
      max_seq_length: await maxSeqLength(db, model),
    };
    const configPath = join(dir, 'eval.json');
    await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
    log.info({ dir, baseline: baseline.label, examples: test.lines.length }, 'evaluating');

    // The copy of the test split goes once scored: erasure (GDPR) only knows the dataset's own files.
    const { report } = await runEvaluationWorker({ config: deps.config, configPath, dir, log, signal: options.signal }).finally(() => rm(testPath, { force: true }));
    const byName = new Map(report.models.map((entry) => [entry.name, entry.metrics]));
    const stored: EvaluationReport = {
      task: model.task as EvaluationReport['task'],
      testFile: test.key,
      candidate: { modelId: model.id, ...metricsOf(byName.get('candidate')) },
      baseline: { modelId: baseline.row?.id ?? null, label: baseline.label, ...metricsOf(byName.get('baseline')) },
    };
    const retrieval = await retrievalRun(deps, { model, sides, test, dir, config, log, signal: options.signal });
    if (retrieval) stored.retrieval = { with: retrieval, without: metricsOf(byName.get('candidate')) };
    await finish(deps, evaluationId, model.id, { report: stored, baselineModelId: baseline.row?.id ?? null, baselineLabel: baseline.label });
    log.info({ candidate: stored.candidate, baseline: stored.baseline }, 'evaluation succeeded');
  } catch (error) {
    const permanent = error instanceof EvaluationInputError || error instanceof ClassifierEvaluationError || error instanceof ClassifierFileError || error instanceof ModelRequestError || (error instanceof EvaluationWorkerError && error.permanent);
    if (options.signal?.aborted || (!permanent && !options.lastAttempt)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    log.warn({ err: error }, 'evaluation failed');
    await finish(deps, evaluationId, model.id, { error: message.slice(0, 2_000) });
  }
}

export function modelEvaluateHandler(deps: HubDeps): JobHandler<'model.evaluate'> {
  const store = deps.artifacts;
  const inference = createInferenceClient({ config: deps.config, log: deps.log });
  const retryLimit = QUEUE_OPTIONS['model.evaluate']?.retryLimit ?? 3;
  return async (payload, job) => {
    const [exists] = await deps.database.db.select({ id: models.id }).from(models).where(eq(models.id, payload.modelId));
    if (!exists) return;
    // Without an id the job is training's "a candidate was registered" (src/training/outcomes.ts).
    const evaluationId = payload.evaluationId ?? (await pendingOrNewEvaluation(deps.database.db, payload.modelId)).evaluation.id;
    await runEvaluation({ ...deps, store, inference }, evaluationId, { signal: job.signal, lastAttempt: job.retryCount >= retryLimit });
  };
}
