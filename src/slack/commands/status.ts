/** `/tuneloop status`: production model per task, running work, the last harvest per connection, open alerts. */
import { and, count, desc, eq, inArray } from 'drizzle-orm';
import { complianceAlerts, connections, fineTuningJobs, harvestRuns, models } from '../../db/schema/index.ts';
import { ago, escapeText } from '../context.ts';
import type { SubCommand } from './command.ts';

export const statusCommand: SubCommand = {
  name: 'status',
  role: 'viewer',
  usage: '/tuneloop status',
  summary: 'production models, running runs, last harvests, open alerts',
  async run({ ctx }) {
    const { db } = ctx.deps.database;
    const production = await db.select().from(models).where(eq(models.status, 'production')).orderBy(models.task);
    const running = await db.select().from(fineTuningJobs).where(inArray(fineTuningJobs.status, ['validating_files', 'queued', 'running'])).orderBy(desc(fineTuningJobs.createdAt)).limit(10);
    const conns = await db.select({ id: connections.id, name: connections.name, vendor: connections.vendor }).from(connections).orderBy(connections.name);
    const lastHarvests = await Promise.all(
      conns.map(async (connection) => {
        const [run] = await db.select().from(harvestRuns).where(eq(harvestRuns.connectionId, connection.id)).orderBy(desc(harvestRuns.createdAt)).limit(1);
        return { connection, run };
      }),
    );
    const open = await db.select({ severity: complianceAlerts.severity, n: count() }).from(complianceAlerts).where(and(eq(complianceAlerts.status, 'open'))).groupBy(complianceAlerts.severity);

    const modelLines = production.length ? production.map((m) => `• *${m.task}*: \`${m.id.slice(0, 8)}\` on \`${escapeText(m.baseModel)}\`, promoted ${ago(m.promotedAt)}`) : ['• none yet: train a candidate and promote it'];
    const runLines = running.length
      ? running.map((job) => `• \`${job.id.slice(0, 8)}\` ${job.task} on \`${escapeText(job.model)}\`: ${job.status}${job.progress.step !== undefined && job.progress.totalSteps ? ` (step ${job.progress.step}/${job.progress.totalSteps})` : ''}`)
      : ['• none'];
    const harvestLines = lastHarvests.length
      ? lastHarvests.map(({ connection, run }) => `• *${escapeText(connection.name)}* (${connection.vendor}): ${run ? `${run.status} ${ago(run.finishedAt ?? run.createdAt)}, ${run.conversationsSeen} conversations` : 'never harvested'}`)
      : ['• no connections yet'];
    const totalOpen = open.reduce((sum, row) => sum + row.n, 0);
    const alertLine = totalOpen ? `${totalOpen} open (${open.map((row) => `${row.n} ${row.severity}`).join(', ')})` : 'none open';
    const text = `*Production models*\n${modelLines.join('\n')}\n*Running fine-tuning runs*\n${runLines.join('\n')}\n*Last harvest per connection*\n${harvestLines.join('\n')}\n*Compliance alerts*: ${alertLine}`;
    return { ack: { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } }] } };
  },
};
