/**
 * The App Home tab, a pure function of what the hub knows and what the person may see: production
 * models per task with their evaluation figures, running and recent runs, open alerts (compliance
 * roles only), and this week's draft acceptance.
 * https://docs.slack.dev/surfaces/app-home
 */
export interface HomeState {
  roles: string[];
  production: Array<{ task: string; id: string; baseModel: string; figures: Record<string, number> }>;
  runs: Array<{ id: string; task: string; model: string; status: string; step: number | null; totalSteps: number | null }>;
  alerts: Array<{ id: string; policyId: string; severity: string }> | null;
  acceptance: Array<{ task: string; posted: number; judged: number; rate: number | null }>;
}

/** Identifiers go in code spans, so `_` and `*` in them stay as they are; only Slack's control characters are escaped. */
const clean = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, "'");
const figure = (name: string, value: number) => `${name} ${Number(value.toPrecision(4))}`;

export function homeView(state: HomeState): Record<string, unknown> {
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } });
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: 'tuneloop', emoji: true } }];
  if (!state.roles.length) {
    blocks.push(section('You have no tuneloop role yet, so there is nothing to show. An admin can grant one: `tuneloop slack grant <your user id> viewer`.'));
    return { type: 'home', blocks };
  }
  blocks.push(section(`Your roles: ${state.roles.join(', ')} · \`/tuneloop help\` lists the commands`));
  blocks.push({ type: 'divider' });
  const models = state.production.length
    ? state.production.map((m) => `• *${clean(m.task)}*: \`${m.id.slice(0, 8)}\` on \`${clean(m.baseModel)}\`${Object.keys(m.figures).length ? ` — ${Object.entries(m.figures).map(([k, v]) => figure(k, v)).join(', ')}` : ''}`).join('\n')
    : 'None yet. `/tuneloop retrain` trains a candidate.';
  blocks.push(section(`*Production models*\n${models}`));
  const runs = state.runs.length
    ? state.runs.map((r) => `• \`${r.id.slice(0, 8)}\` ${clean(r.task)} on \`${clean(r.model)}\`: ${r.status.replace('_', ' ')}${r.step !== null && r.totalSteps ? ` (step ${r.step}/${r.totalSteps})` : ''}`).join('\n')
    : 'No runs yet.';
  blocks.push(section(`*Running and recent runs*\n${runs}`));
  if (state.alerts) {
    const alerts = state.alerts.length ? state.alerts.map((a) => `• \`${a.id.slice(0, 8)}\` \`${clean(a.policyId)}\` (${a.severity})`).join('\n') : 'No open alerts.';
    blocks.push(section(`*Open compliance alerts*\n${alerts}`));
  }
  const acceptance = state.acceptance.length
    ? state.acceptance.map((a) => `• *${clean(a.task)}*: ${a.posted} drafts posted, ${a.judged} judged${a.rate !== null ? `, ${Math.round(a.rate * 100)} % accepted` : ''}`).join('\n')
    : 'No drafts this week.';
  blocks.push(section(`*Draft acceptance, last 7 days*\n${acceptance}`));
  return { type: 'home', blocks };
}
