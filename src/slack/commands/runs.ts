/** `/tuneloop runs`: the latest fine-tuning runs with their status and candidate. */
import { desc, inArray } from 'drizzle-orm';
import { fineTuningJobs, models } from '../../db/schema/index.ts';
import { ago, escapeText } from '../context.ts';
import type { SubCommand } from './command.ts';

export const runsCommand: SubCommand = {
  name: 'runs',
  role: 'viewer',
  usage: '/tuneloop runs',
  summary: 'the latest fine-tuning runs',
  async run({ ctx }) {
    const { db } = ctx.deps.database;
    const jobs = await db.select().from(fineTuningJobs).orderBy(desc(fineTuningJobs.createdAt)).limit(10);
    if (!jobs.length) return { ack: { text: 'No fine-tuning runs yet. Start one with `/tuneloop retrain`.' } };
    const candidates = await db.select({ id: models.id, job: models.fineTuningJobId, status: models.status }).from(models).where(inArray(models.fineTuningJobId, jobs.map((job) => job.id)));
    const lines = jobs.map((job) => {
      const model = candidates.find((row) => row.job === job.id);
      const loss = job.progress.bestEvalLoss ?? job.progress.evalLoss;
      return `• \`${job.id.slice(0, 8)}\` *${job.task}* on \`${escapeText(job.model)}\`: ${job.status}${typeof loss === 'number' ? `, eval loss ${loss.toPrecision(4)}` : ''}${model ? `, model \`${model.id}\` (${model.status})` : ''} — ${ago(job.createdAt)}`;
    });
    return { ack: { text: `*Latest fine-tuning runs*\n${lines.join('\n')}` } };
  },
};
