/**
 * Runs a `classifier` fine-tuning job in the hub's own process (no gpu-worker: a logistic
 * regression over a few hundred decided alerts trains in well under a second). Same lifecycle as
 * a worker run: claimed under the job's lock, validating_files → queued → running → succeeded
 * with a candidate model (task `compliance:<policy>`, evaluated next like every candidate), or
 * failed with a message a person can act on. The file goes to TUNELOOP_HOME/runs/<job id>/.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import type { ArtifactStore } from '../../artifacts/index.ts';
import type { Config } from '../../config.ts';
import type { Database } from '../../db/client.ts';
import { fineTuningJobs } from '../../db/schema/index.ts';
import type { Logger } from '../../log.ts';
import { cancelRequested, claimJob, withJobLock } from '../claim.ts';
import { DataSourceError, jobData } from '../data-sources.ts';
import { recordEvent, upsertMetrics } from '../events.ts';
import { ClassifierSettings } from '../hyperparameters.ts';
import { cancel, fail, localModelName, succeed } from '../outcomes.ts';
import { transition, type FineTuningJob, type Notifier } from '../status.ts';
import { runDir } from '../worker/run-config.ts';
import { policyExamples } from './examples.ts';
import { ClassifierDataError, fitClassifier } from './fit.ts';

export interface ClassifierRunnerDeps extends Notifier {
  database: Database;
  log: Logger;
  config: Pick<Config, 'TUNELOOP_HOME'>;
  store: ArtifactStore;
}

export const CLASSIFIER_FILE = 'classifier.json';
const DEFAULTS = { target_recall: 1, epochs: 300, learning_rate: 2, l2: 1e-3, feature_bits: 18 };
/** Loss points stored for the run's curve. */
const CURVE_POINTS = 30;

async function lines(store: ArtifactStore, key: string): Promise<string[]> {
  const stream = await store.get(key);
  if (!stream) throw new DataSourceError(`the split ${key} is missing from the artifact store`, 'dataset_version');
  return (await text(stream)).split('\n');
}

export async function runClassifierJob(deps: ClassifierRunnerDeps, jobId: string): Promise<FineTuningJob | null> {
  return withJobLock(deps.database, jobId, deps.log, async () => {
    const job = await claimJob(deps.database, deps, jobId);
    if (!job) return null;
    const { db } = deps.database;
    const log = deps.log.child({ fineTuningJobId: jobId, attempt: job.attempts });
    const settings = ClassifierSettings.parse(job.hyperparameters.classifier);
    const knobs = { ...DEFAULTS, ...settings };
    try {
      await db.transaction((tx) => transition(tx, deps, jobId, { from: ['validating_files'], to: 'queued', message: 'Validated; queued for training', attempt: job.attempts }));
      const running = await db.transaction((tx) => transition(tx, deps, jobId, { from: ['queued', 'running'], to: 'running', message: `Training the classifier of policy ${settings.policy}`, set: { startedAt: job.startedAt ?? new Date() }, attempt: job.attempts }));
      if (!running) return null;
      const data = await jobData(db, job);
      const all = [...(await lines(deps.store, data.train.key)), ...(data.validation ? await lines(deps.store, data.validation.key) : [])];
      const examples = policyExamples(all, settings.policy);
      const curve: Array<{ epoch: number; loss: number }> = [];
      const every = Math.max(1, Math.floor(knobs.epochs / CURVE_POINTS));
      const file = fitClassifier(examples, {
        policy: settings.policy,
        bits: knobs.feature_bits,
        epochs: knobs.epochs,
        learningRate: knobs.learning_rate,
        l2: knobs.l2,
        targetRecall: knobs.target_recall,
        onEpoch: (epoch, loss) => {
          if (epoch % every === 0 || epoch === knobs.epochs) curve.push({ epoch, loss });
        },
      });
      if (await cancelRequested(deps.database, jobId)) {
        await db.transaction((tx) => cancel(tx, deps, job, job.attempts));
        return null;
      }
      const dir = runDir(deps.config.TUNELOOP_HOME, jobId);
      await mkdir(dir, { recursive: true });
      const path = join(dir, CLASSIFIER_FILE);
      await writeFile(`${path}.tmp`, `${JSON.stringify(file)}\n`);
      await rename(`${path}.tmp`, path);
      const finalLoss = curve.at(-1)?.loss ?? null;
      const metrics = { final_train_loss: finalLoss, threshold: file.threshold, target_recall: file.target_recall, ...file.trained_on, features: file.weights.length };
      log.info({ policy: settings.policy, ...file.trained_on }, 'compliance classifier trained');
      return await db.transaction(async (tx) => {
        for (const point of curve) await upsertMetrics(tx, jobId, point.epoch, { epoch: point.epoch, trainLoss: point.loss });
        // An epoch is a step here: lists and progress bars show the run as complete.
        await tx.update(fineTuningJobs).set({ progress: { step: knobs.epochs, totalSteps: knobs.epochs, loss: finalLoss } }).where(eq(fineTuningJobs.id, jobId));
        await recordEvent(tx, jobId, { level: 'info', type: 'classifier', message: `Policy ${settings.policy}: ${file.trained_on.violations} confirmed violations, ${file.trained_on.false_positives} false positives; threshold ${file.threshold.toFixed(4)} keeps ${Math.round(file.target_recall * 100)}% of violations out of fold`, data: metrics, attempt: job.attempts });
        return succeed(tx, deps, job, { fineTunedModel: localModelName(job), result: { metrics, model_path: path }, cost: null, trainedTokens: null, bestStep: null, metrics, modelPath: path, attempt: job.attempts });
      });
    } catch (error) {
      if (!(error instanceof ClassifierDataError) && !(error instanceof DataSourceError)) throw error;
      await db.transaction((tx) => fail(tx, deps, job, { code: 'invalid_training_file', message: error.message, param: 'dataset_version' }, job.attempts));
      return null;
    }
  });
}
