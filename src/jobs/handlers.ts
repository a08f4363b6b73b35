/**
 * The job handlers this process can run, by job name. Each domain registers its own handler here;
 * `tuneloop worker --queues a,b` runs a subset, `tuneloop start` runs them all.
 */
import type { HubDeps } from '../deps.ts';
import { datasetBuildHandler } from '../datasets/handler.ts';
import { harvestRunHandler } from '../harvest/handler.ts';
import { conversationRefreshHandler } from '../harvest/refresh.ts';
import { sweepSettleHandler } from '../training/sweep/settle.ts';
import { retrainRunHandler } from '../models/retraining/manual.ts';
import { slackDraftHandler } from '../slack/jobs/draft.ts';
import { complianceScanHandler, documentScanHandler } from '../serving/compliance/index.ts';
import { slackNotifyHandler } from '../serving/notify/handler.ts';
import type { JobName } from '../queue/jobs.ts';
import type { JobHandler } from '../queue/queue.ts';
import { fineTuneHandler } from '../training/handler.ts';
import { modelEvaluateHandler } from '../models/evaluation/handler.ts';
import { eventDeliverHandler, eventSweepHandler } from '../events/deliver.ts';
import { driftCheckHandler } from '../models/drift/check.ts';
import { retrainEvaluateHandler } from '../models/retraining/runs.ts';
import { draftGenerateHandler } from '../serving/drafts/handler.ts';
import { reactToHarvest } from '../serving/on-harvest.ts';
import { draftFeedbackHandler } from '../serving/feedback/handler.ts';
import { triageApplyHandler } from '../serving/triage/handler.ts';
import { deliveriesPruneHandler } from '../webhooks/prune.ts';
import { gdprEraseHandler } from '../gdpr/handler.ts';
import { inferenceBatchHandler } from '../models/gateway/batches.ts';

type HandlerFactories = { [N in JobName]?: (deps: HubDeps) => JobHandler<N> };

export const HANDLERS: HandlerFactories = {
  'harvest.run': (deps) => harvestRunHandler({ ...deps, batchSize: deps.config.HARVEST_BATCH_SIZE, onStored: reactToHarvest(deps.queue, deps.config) }),
  'dataset.build': datasetBuildHandler,
  'finetune.train': fineTuneHandler,
  'finetune.sweep': sweepSettleHandler,
  'model.evaluate': modelEvaluateHandler,
  'compliance.scan': complianceScanHandler,
  'compliance.scan-document': documentScanHandler,
  'slack.notify': slackNotifyHandler,
  'events.deliver': eventDeliverHandler,
  'events.sweep': eventSweepHandler,
  'deliveries.prune': deliveriesPruneHandler,
  'drift.check': driftCheckHandler,
  'retrain.evaluate': retrainEvaluateHandler,
  'draft.generate': draftGenerateHandler,
  'triage.apply': triageApplyHandler,
  'draft.feedback': draftFeedbackHandler,
  'conversation.refresh': (deps) => conversationRefreshHandler({ ...deps, onStored: reactToHarvest(deps.queue, deps.config) }),
  'retrain.run': retrainRunHandler,
  'slack.draft': slackDraftHandler,
  'gdpr.erase': gdprEraseHandler,
  'inference.batch': inferenceBatchHandler,
};

export function handledJobNames(): JobName[] {
  return Object.keys(HANDLERS) as JobName[];
}

export async function registerHandlers(deps: HubDeps, names: JobName[], concurrency: number): Promise<JobName[]> {
  const registered: JobName[] = [];
  for (const name of names) {
    const factory = HANDLERS[name] as ((deps: HubDeps) => JobHandler<typeof name>) | undefined;
    if (!factory) continue;
    await deps.queue.work(name, factory(deps), { concurrency });
    registered.push(name);
  }
  return registered;
}
