/** `/tuneloop alerts [open|mine]`: open compliance alerts, or those this person has decided on. */
import { ago, escapeText } from '../context.ts';
import { listAlerts } from '../../serving/compliance/alerts/alerts.ts';
import { SEVERITY_EMOJI } from '../../serving/compliance/alerts/slack-view.ts';
import { UsageError, type SubCommand } from './command.ts';

const SHOWN = 15;

export const alertsCommand: SubCommand = {
  name: 'alerts',
  role: 'compliance',
  usage: '/tuneloop alerts [open|mine]',
  summary: 'open compliance alerts, or the ones you acted on',
  async run({ ctx, args, actor }) {
    const which = args.words[0] ?? 'open';
    if (args.words.length > 1 || (which !== 'open' && which !== 'mine')) throw new UsageError('say open or mine');
    const { db } = ctx.deps.database;
    const alerts = which === 'open' ? await listAlerts(db, { status: 'open', limit: SHOWN }) : (await listAlerts(db, { limit: 500 })).filter((alert) => alert.transitions.some((t) => t.actor === actor)).slice(0, SHOWN);
    if (!alerts.length) return { ack: { text: which === 'open' ? 'No open compliance alerts.' : 'You have not acted on any alert yet.' } };
    const lines = alerts.map((alert) => `${SEVERITY_EMOJI[alert.severity]} \`${alert.id.slice(0, 8)}\` *${escapeText(alert.policyId)}* (${alert.severity}) — ${alert.status.replace('_', ' ')}, ${ago(alert.createdAt)}`);
    return { ack: { text: `*${which === 'open' ? 'Open alerts' : 'Alerts you acted on'}* (newest first)\n${lines.join('\n')}` } };
  },
};
