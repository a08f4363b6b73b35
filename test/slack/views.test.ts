/** The Slack app's Block Kit views are pure functions of state, tested as data. */
import { describe, expect, it } from 'vitest';
import { retrainMessage, type RetrainState, CANDIDATE_ACTIONS } from '../../src/serving/notify/retrain-view.ts';
import { homeView } from '../../src/slack/views/home.ts';
import { retrainModal } from '../../src/slack/views/retrain-modal.ts';
import { alertNoteModal, promoteReasonModal } from '../../src/slack/views/note-modals.ts';
import { parseArgs, splitWords } from '../../src/slack/commands/args.ts';

const base: RetrainState = {
  run: { id: '00000000-0000-4000-8000-000000000001', task: 'reply', status: 'training', error: null, requestedBy: 'slack:U0001', createdAt: new Date('2026-12-07T10:00:00Z') },
  harvests: [{ connection: 'zendesk', status: 'succeeded', seen: 400, created: 12, updated: 3, error: null }],
  dataset: { name: 'replies', version: 4, status: 'ready', examples: { train: 300, validation: 40, test: 40 }, replacements: { NAME: 120, EMAIL: 30, PHONE: 0 }, dropped: 12 },
  job: { id: 'job', status: 'running', model: 'tiny', progress: { step: 5, totalSteps: 10, loss: 2.5, evalLoss: 2.7, etaSeconds: 120 }, error: null },
  model: null,
  evaluation: null,
  verdict: null,
  decision: null,
};

const text = (message: { blocks: unknown[] }) => JSON.stringify(message.blocks);

describe('Slack views', () => {
  it('the retraining message moves from harvest counts to training progress to the Promote and Reject buttons, then names who decided', () => {
    const training = retrainMessage(base);
    expect(text(training)).toContain('400 seen, 12 new, 3 updated');
    expect(text(training)).toContain('300 train / 40 validation / 40 test');
    expect(text(training)).toContain('120 NAME, 30 EMAIL');
    expect(text(training)).not.toContain('0 PHONE');
    expect(text(training)).toContain('step 5/10');
    expect(text(training)).toContain('eval loss 2.7');
    expect(text(training)).not.toContain(CANDIDATE_ACTIONS.promote);

    const evaluated = retrainMessage({
      ...base,
      job: { ...base.job!, status: 'succeeded' },
      model: { id: 'model-1', status: 'candidate' },
      evaluation: { status: 'succeeded', error: null, candidate: { chrf: 41.2, eval_loss: 1.9 }, baseline: { chrf: 38, eval_loss: 2.1 }, baselineLabel: 'production' },
      verdict: { allowed: true, reason: 'chrF 41.2 ≥ 38' },
    });
    expect(text(evaluated)).toMatch(/chrf\s+41\.2\s+38/);
    const actions = evaluated.blocks.find((block) => (block as { type: string }).type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([[CANDIDATE_ACTIONS.promote, 'model-1'], [CANDIDATE_ACTIONS.reject, 'model-1']]);

    const decided = retrainMessage({ ...base, model: { id: 'model-1', status: 'production' }, evaluation: { status: 'succeeded', error: null, candidate: { chrf: 41 }, baseline: null, baselineLabel: 'base' }, decision: { kind: 'promote', actor: 'slack:U0002', at: new Date('2026-12-07T11:30:00Z'), forced: false, reason: null } });
    expect(text(decided)).toContain('promoted to production by <@U0002> at 2026-12-07 11:30 UTC');
    expect(text(decided)).not.toContain(CANDIDATE_ACTIONS.promote);
  });

  it('App Home shows alerts only to compliance roles, and nothing without a role', () => {
    const none = homeView({ roles: [], production: [], runs: [], alerts: null, acceptance: [] });
    expect(JSON.stringify(none)).toContain('no tuneloop role yet');
    const viewer = homeView({ roles: ['viewer'], production: [{ task: 'reply', id: 'm1', baseModel: 'tiny', figures: { chrf: 40 } }], runs: [], alerts: null, acceptance: [{ task: 'reply', posted: 10, judged: 4, rate: 0.5 }] });
    expect(JSON.stringify(viewer)).toContain('chrf 40');
    expect(JSON.stringify(viewer)).toContain('50 % accepted');
    expect(JSON.stringify(viewer)).not.toContain('Open compliance alerts');
    const officer = homeView({ roles: ['compliance'], production: [], runs: [], alerts: [{ id: 'abcdef0123', policyId: 'pii_outbound', severity: 'high' }], acceptance: [] });
    expect(JSON.stringify(officer)).toContain('pii_outbound');
  });

  it('modals carry their target in private_metadata and label every input', () => {
    const modal = retrainModal({ tasks: ['reply', 'triage'], defaultTask: 'triage', baseModel: '/models/base', channel: 'C1' });
    expect(JSON.parse(modal.private_metadata as string)).toEqual({ channel: 'C1' });
    const blocks = modal.blocks as Array<{ type: string; label?: unknown; block_id?: string }>;
    expect(blocks.filter((b) => b.type === 'input').every((b) => b.label)).toBe(true);
    expect(blocks.map((b) => b.block_id).filter(Boolean)).toEqual(['task', 'base_model', 'epochs', 'learning_rate', 'lora_r', 'dataset_version']);
    expect(JSON.parse(alertNoteModal({ alertId: 'a', decision: 'escalated' }, 'p').private_metadata as string)).toEqual({ alertId: 'a', decision: 'escalated' });
    expect(JSON.parse(promoteReasonModal('m', 'blocked').private_metadata as string)).toEqual({ modelId: 'm' });
  });

  it('splits a command into words, quoted phrases and --flags', () => {
    expect(splitWords('promote abc --force --reason "the gate is wrong here"')).toEqual(['promote', 'abc', '--force', '--reason', 'the gate is wrong here']);
    const args = parseArgs(['abc', '--force', '--reason', 'why', '--dataset', 'replies@2']);
    expect(args.words).toEqual(['abc']);
    expect([...args.flags]).toEqual([['force', true], ['reason', 'why'], ['dataset', 'replies@2']]);
  });
});
