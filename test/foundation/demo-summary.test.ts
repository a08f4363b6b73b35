/** The check CI applies to `npm run demo -- --json FILE --exit`: a full loop passes, each missing stage is named. */
import { describe, expect, it } from 'vitest';
import { failedSummary, summaryProblems, type DemoSummary } from '../../scripts/demo-summary.ts';

const complete: DemoSummary = {
  ok: true,
  conversations: { harvested: 400, messages: 1500 },
  examples: { total: 186, bySplit: { train: 149, validation: 18, test: 19 }, datasetVersion: { id: 'v', version: 2 } },
  run: { id: 'r', status: 'succeeded', steps: 20, totalSteps: 20, trainLoss: 8.3, validLoss: 8.3, bestValidLoss: 8.3, metrics: { chrf: 0.1 } },
  drafts: { tickets: 5, posted: 5, skipped: 0, failed: 0 },
  alerts: { raised: 20, postedToSlack: 20, byStatus: { open: 19, resolved: 1 }, byPolicy: { pii: 20 } },
  models: { candidate: 'm', production: 'm', all: [{ id: 'm', status: 'production' }] },
  quick: true,
  base_model: '/tmp/tiny-model',
  eval_loss_base: 8.4,
  eval_loss_candidate: 8.3,
  chrf_base: 0.1,
  chrf_candidate: 0.2,
};

describe('demo summary check', () => {
  it('passes a demo that went through the whole loop', () => {
    expect(summaryProblems(complete)).toEqual([]);
  });

  it('names each stage that produced nothing', () => {
    const problems = summaryProblems({
      ...complete,
      drafts: { ...complete.drafts, posted: 0 },
      run: { ...complete.run, status: 'failed' },
      models: { ...complete.models, production: 'older' },
    });
    expect(problems).toEqual(['the fine-tuning run is failed, not succeeded', 'no drafts posted', 'the candidate was not promoted to production']);
  });

  it('lets a pretrained model stop early but not the quick one, and wants the base-vs-candidate figures', () => {
    const early = { ...complete, run: { ...complete.run, steps: 60, totalSteps: 80 } };
    expect(summaryProblems({ ...early, quick: false, base_model: 'smollm2-135m-instruct' })).toEqual([]);
    expect(summaryProblems(early)).toEqual(['the run did not reach its last step (60/80)']);
    expect(summaryProblems({ ...complete, chrf_base: null, base_model: null })).toEqual(['no chrf_base in the summary', 'no base_model in the summary']);
  });

  it('fails a demo that stopped on an error, with the error', () => {
    expect(summaryProblems(failedSummary('harvest failed', new Date()))[0]).toBe('the demo failed: harvest failed');
  });
});
