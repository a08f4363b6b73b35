/**
 * Runs an erasure's steps in order (erasures.ts STEPS), each recorded when done, so a run that
 * dies (kill -9, a crash, a vendor outage) resumes at the next step: database → files → outside →
 * residue → retrain. The heartbeat is renewed between steps. When all are done, the sealed work
 * (the subject's identifiers) is dropped: the report, the audit record and the suppression hashes
 * are what remain. A step that throws marks the erasure failed with the reason; `gdpr resume` or
 * the scheduled job runs it again from that step.
 */
import { eq, sql } from 'drizzle-orm';
import type { ArtifactStore } from '../artifacts/index.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import { gdprErasures, gdprSuppressions } from '../db/schema/index.ts';
import type { Logger } from '../log.ts';
import type { Queue } from '../queue/queue.ts';
import { safeErrorMessage } from '../safe-error.ts';
import type { Keyring } from '../security/encryption.ts';
import { slackChatFor } from '../serving/compliance/alerts/deliver-slack.ts';
import { eraseInDatabase } from './erase.ts';
import { beat, claimErasure, getErasure, openWork, recordStep, sealWork, staleErasures, STEPS, type ErasureRow, type Step } from './erasures.ts';
import { eraseFiles } from './files-step.ts';
import { eraseOutside, writeBacksOf } from './outside-step.ts';
import { writeBackFor } from '../serving/writeback.ts';
import { openaiBackendFor } from '../training/openai/runner.ts';
import { eraseResidue } from './residue-step.ts';
import { startRetrains } from './retrain-step.ts';

export interface ErasureRunDeps {
  database: Database;
  store: ArtifactStore;
  log: Logger;
  keyring: Keyring;
  queue: Queue | null;
  config: Pick<Config, 'TUNELOOP_HOME' | 'QUEUE_SCHEMA' | 'SLACK_BOT_TOKEN' | 'SLACK_API_URL' | 'COMPLIANCE_SLACK_CHANNEL' | 'OPENAI_API_KEY' | 'OPENAI_BASE_URL'>;
  /** Tests stop a run after a step, as a kill would. */
  stopAfter?: Step;
}

export class ErasureStopped extends Error {
  override name = 'ErasureStopped';
}

async function runStep(deps: ErasureRunDeps, row: ErasureRow, step: Step): Promise<void> {
  const { database } = deps;
  const work = openWork(deps.keyring, row);
  if (!work) throw new Error(`erasure ${row.id} has no work left to run`);
  if (step === 'database') {
    await eraseInDatabase(deps, work.request, row.id, row.requestedBy, async (tx, report, found) => {
      if (found.suppressions.length) await tx.insert(gdprSuppressions).values(found.suppressions.map((hash) => ({ hash, erasureId: row.id }))).onConflictDoNothing();
      await recordStep(tx, row.id, 'database', { database: report, suppressions: found.suppressions.length }, sealWork(deps.keyring, row.id, { ...work, found }));
    });
    return;
  }
  const found = work.found;
  if (!found) throw new Error(`erasure ${row.id}: the database step left no findings`);
  if (step === 'files') {
    const files = await eraseFiles({ database, store: deps.store, home: deps.config.TUNELOOP_HOME }, found);
    await recordStep(database.db, row.id, step, { files });
  } else if (step === 'outside') {
    const chat = slackChatFor({ channel: deps.config.COMPLIANCE_SLACK_CHANNEL ?? 'erasure', token: deps.config.SLACK_BOT_TOKEN, apiUrl: deps.config.SLACK_API_URL }, deps.log);
    const openWriteBack = writeBacksOf(database.db, (connection) => writeBackFor(database.db, deps.keyring, connection, { log: deps.log }));
    const outside = await eraseOutside(chat, openWriteBack, openaiBackendFor(deps.config), found, row.id);
    await recordStep(database.db, row.id, step, { outside });
  } else if (step === 'residue') {
    await database.db.transaction(async (tx) => {
      const residue = await eraseResidue(tx, found.terms, deps.config.QUEUE_SCHEMA);
      await recordStep(tx, row.id, step, { residue });
    });
  } else {
    const retrain = await startRetrains({ database, queue: deps.queue }, found, row.id);
    await recordStep(database.db, row.id, step, { retrain });
  }
}

/** Runs (or resumes) one erasure to its end. Null when another process holds it or it is done. */
export async function runErasure(deps: ErasureRunDeps, id: string, options: { force?: boolean } = {}): Promise<ErasureRow | null> {
  const { database } = deps;
  if (!(await claimErasure(database.db, id, options))) return null;
  try {
    for (const step of STEPS) {
      const row = await getErasure(database.db, id);
      if (!row) return null;
      if (row.stepsDone.includes(step)) continue;
      await runStep(deps, row, step);
      await beat(database.db, id);
      if (deps.stopAfter === step) throw new ErasureStopped(`stopped after ${step}`);
    }
    const [done] = await database.db
      .update(gdprErasures)
      .set({ status: 'done', work: null, finishedAt: new Date(), report: sql`${gdprErasures.report} || jsonb_build_object('left', coalesce(${gdprErasures.report}->'outside'->'left', '[]'::jsonb) || coalesce(${gdprErasures.report}->'retrain'->'left', '[]'::jsonb))` })
      .where(eq(gdprErasures.id, id))
      .returning();
    deps.log.info({ erasureId: id }, 'GDPR erasure done');
    return done ?? null;
  } catch (error) {
    // A stop (tests) leaves it running, as a kill does.
    if (error instanceof ErasureStopped) throw error;
    await database.db.update(gdprErasures).set({ status: 'failed', error: safeErrorMessage(error) }).where(eq(gdprErasures.id, id));
    deps.log.error({ erasureId: id, err: safeErrorMessage(error) }, 'GDPR erasure step failed; it resumes from that step');
    throw error;
  }
}

/** Pending and abandoned erasures, resumed one after the other (hub start, the scheduled job, `gdpr resume`). */
export async function resumeErasures(deps: ErasureRunDeps, options: { force?: boolean } = {}): Promise<ErasureRow[]> {
  const done: ErasureRow[] = [];
  const rows = options.force ? await deps.database.db.select().from(gdprErasures).where(sql`${gdprErasures.status} IN ('pending', 'running', 'failed')`) : await staleErasures(deps.database.db);
  for (const row of rows) {
    const result = await runErasure(deps, row.id, options);
    if (result) done.push(result);
  }
  return done;
}
