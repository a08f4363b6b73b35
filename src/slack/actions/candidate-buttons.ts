/**
 * Promote and Reject on a retraining's message. Promote goes through the same gate as the API: a
 * candidate the gate blocks needs a reason (a modal asks for it) and is promoted on the record. A
 * click is idempotent: the model's row is locked and its status checked, so a double click
 * promotes once, and a stale button answers "Nothing changed: …" with who decided.
 */
import { z } from 'zod';
import type { SlackButton, SlackViewSubmission } from '../../../integrations/types.ts';
import { desc, eq, or } from 'drizzle-orm';
import { modelSwitches } from '../../db/schema/index.ts';
import { checkGate } from '../../models/registry/gate.ts';
import { promote, reject } from '../../models/registry/promotion.ts';
import { getModel, productionModel, RegistryError } from '../../models/registry/registry.ts';
import { CANDIDATE_ACTIONS } from '../../serving/notify/retrain-view.ts';
import { escapeText, type SlackContext } from '../context.ts';
import { promoteReasonModal } from '../views/note-modals.ts';

export function isCandidateButton(actionId: string): boolean {
  return actionId === CANDIDATE_ACTIONS.promote || actionId === CANDIDATE_ACTIONS.reject;
}

async function tell(ctx: SlackContext, input: SlackButton, text: string): Promise<void> {
  if (input.responseUrl) await ctx.slack.respond(input.responseUrl, { text, replaceOriginal: false });
  else if (input.channelId) await ctx.slack.postEphemeral({ channel: input.channelId, user: input.userId, text });
}

async function decidedBy(ctx: SlackContext, modelId: string): Promise<string> {
  const [last] = await ctx.deps.database.db.select().from(modelSwitches).where(or(eq(modelSwitches.toModelId, modelId), eq(modelSwitches.fromModelId, modelId))).orderBy(desc(modelSwitches.id)).limit(1);
  if (!last) return '';
  const actor = /^slack:([UW][A-Z0-9]+)$/.exec(last.actor)?.[1];
  return ` (${last.kind} by ${actor ? `<@${actor}>` : `\`${escapeText(last.actor)}\``} at ${last.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
}

/** Refreshes the retraining message: the switch sends model.promoted; a reject has no notification of its own. */
async function refresh(ctx: SlackContext, modelId: string): Promise<void> {
  const model = await getModel(ctx.deps.database.db, modelId);
  if (model?.fineTuningJobId) await ctx.deps.queue.send('slack.notify', { kind: 'run.status', subjectId: model.fineTuningJobId });
}

export async function pressCandidateButton(ctx: SlackContext, input: SlackButton, actor: string): Promise<void> {
  const modelId = input.value ?? '';
  if (!z.uuid().safeParse(modelId).success) return tell(ctx, input, 'That button does not name a model.');
  const { db } = ctx.deps.database;
  const model = await getModel(db, modelId);
  if (!model) return tell(ctx, input, 'That model no longer exists.');
  if (model.status !== 'candidate') return tell(ctx, input, `Nothing changed: \`${model.id}\` is already ${model.status}${await decidedBy(ctx, model.id)}.`);
  if (input.actionId === CANDIDATE_ACTIONS.reject) {
    try {
      await reject(db, modelId, { actor, queue: ctx.deps.queue });
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      return tell(ctx, input, `Nothing changed: ${escapeText(error.message)}${await decidedBy(ctx, modelId)}.`);
    }
    return refresh(ctx, modelId);
  }
  const verdict = await checkGate(db, model, (await productionModel(db, model.task))?.id ?? null, ctx.deps.config);
  if (!verdict.allowed) {
    await ctx.slack.openView(input.triggerId, promoteReasonModal(modelId, verdict.reason));
    return;
  }
  try {
    await promote(db, modelId, { actor, tolerances: ctx.deps.config, queue: ctx.deps.queue });
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    return tell(ctx, input, `Nothing changed: ${escapeText(error.message)}${await decidedBy(ctx, modelId)}.`);
  }
}

const ReasonTarget = z.object({ modelId: z.uuid() });

export async function submitPromoteReason(ctx: SlackContext, input: SlackViewSubmission, actor: string): Promise<{ errors: Record<string, string> } | undefined> {
  const target = ReasonTarget.safeParse((() => {
    try {
      return JSON.parse(input.privateMetadata) as unknown;
    } catch {
      return null;
    }
  })());
  if (!target.success) return { errors: { reason: 'This form is out of date; press Promote again.' } };
  const reason = (input.values.reason ?? '').trim();
  if (reason.length < 3) return { errors: { reason: 'Give a reason: it is recorded with the promotion.' } };
  try {
    await promote(ctx.deps.database.db, target.data.modelId, { actor, force: true, reason, tolerances: ctx.deps.config, queue: ctx.deps.queue });
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    return { errors: { reason: `Nothing changed: ${error.message}`.slice(0, 150) } };
  }
  return undefined;
}
