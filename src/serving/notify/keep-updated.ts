/**
 * Posts a subject's Slack message the first time and updates the same message afterwards. The ts
 * is stored in `slack_messages`; an advisory lock per subject, held across the Slack call, keeps
 * two jobs for the same subject (a status change racing a progress tick) from both posting.
 */
import { sql } from 'drizzle-orm';
import type { AppChat } from '../../../integrations/types.ts';
import type { Database, Tx } from '../../db/client.ts';
import { slackMessages } from '../../db/schema/index.ts';

export interface SlackMessageContent {
  text: string;
  blocks: unknown[];
}

export type KeepUpdatedResult = 'posted' | 'updated' | 'skipped';

export async function keepSlackMessageUpdated(
  database: Database,
  chat: AppChat,
  subject: { kind: string; subjectId: string; channel: string },
  render: (tx: Tx) => Promise<SlackMessageContent | null>,
  signal?: AbortSignal,
): Promise<KeepUpdatedResult> {
  return database.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`slack-message:${subject.kind}:${subject.subjectId}`}))`);
    const content = await render(tx);
    if (!content) return 'skipped';
    const [stored] = await tx
      .select({ channel: slackMessages.channel, ts: slackMessages.ts })
      .from(slackMessages)
      .where(sql`${slackMessages.kind} = ${subject.kind} AND ${slackMessages.subjectId} = ${subject.subjectId}`);
    if (stored) {
      await chat.update({ ...content, channel: stored.channel, ts: stored.ts }, signal);
      await tx.execute(sql`UPDATE ${slackMessages} SET updated_at = now() WHERE kind = ${subject.kind} AND subject_id = ${subject.subjectId}`);
      return 'updated';
    }
    const posted = await chat.post({ ...content, channel: subject.channel }, signal);
    await tx.insert(slackMessages).values({ kind: subject.kind, subjectId: subject.subjectId, channel: posted.channel, ts: posted.ts });
    return 'posted';
  });
}
