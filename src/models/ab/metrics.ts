/**
 * A/B tests in Prometheus: per running test and arm, drafts posted, drafts with feedback, and the
 * acceptance rate and mean similarity to the agent's final reply. Read from the database at
 * scrape time, so every replica reports the same numbers (the drafts are written by whichever
 * worker ran the job).
 */
import { eq } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import type { Tx } from '../../db/client.ts';
import { abTests } from '../../db/schema/index.ts';
import { registry } from '../../metrics.ts';
import { abTestStats } from './ab-test.ts';

const labelNames = ['ab_test', 'task', 'arm', 'model'] as const;

const abDrafts = new Gauge({ name: 'tuneloop_ab_drafts', help: 'Drafts posted per arm of a running A/B test.', labelNames, registers: [registry] });
const abFeedback = new Gauge({ name: 'tuneloop_ab_drafts_with_feedback', help: "Drafts per arm whose ticket got the agent's final reply.", labelNames, registers: [registry] });
const abAcceptance = new Gauge({ name: 'tuneloop_ab_acceptance_ratio', help: 'Share of compared drafts accepted, per arm of a running A/B test.', labelNames, registers: [registry] });
const abSimilarity = new Gauge({ name: 'tuneloop_ab_similarity_mean', help: "Mean similarity (chrF, 0-1) of drafts to the agent's final reply, per arm.", labelNames, registers: [registry] });

export async function refreshAbMetrics(db: Tx): Promise<void> {
  const running = await db.select().from(abTests).where(eq(abTests.status, 'running'));
  // Ended tests drop out of the scrape instead of repeating their last values.
  for (const gauge of [abDrafts, abFeedback, abAcceptance, abSimilarity]) gauge.reset();
  for (const test of running) {
    const stats = await abTestStats(db, test);
    for (const arm of [stats.arms.production, stats.arms.candidate]) {
      const labels = { ab_test: test.id, task: test.task, arm: arm.arm, model: arm.modelId };
      abDrafts.set(labels, arm.drafts);
      abFeedback.set(labels, arm.withFeedback);
      if (arm.acceptanceRate !== null) abAcceptance.set(labels, arm.acceptanceRate);
      if (arm.meanSimilarity !== null) abSimilarity.set(labels, arm.meanSimilarity);
    }
  }
}
