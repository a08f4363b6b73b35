/**
 * The outside step: copies that left the hub. The Slack messages of the subject's compliance
 * alerts are overwritten with a redaction notice (chat.update), and the notes tuneloop posted on
 * their tickets are redacted where the vendor's API allows it (Zendesk), one call at a time. What
 * cannot be erased from here is listed with why, so the erasure report says what a person must
 * still do: notes at vendors without redaction and Salesforce Tasks of their alerts. The files
 * OpenAI holds for fine-tuning runs on the replaced versions are deleted (the Files API); the
 * models trained there are flagged and blocked from promotion by the database step.
 * Idempotent: updating a message to the same notice again changes nothing.
 */
import { eq } from 'drizzle-orm';
import type { AppChat, ManagedFineTuning, WriteBack } from '../../integrations/types.ts';
import type { Db } from '../db/client.ts';
import { connections } from '../db/schema/index.ts';
import type { Found } from './erase.ts';

/** Opens the write-back of a connection (null: the connection is gone or its vendor has none). */
export type OpenWriteBack = (connectionId: string) => Promise<WriteBack | null>;

export interface LeftItem {
  place: string;
  why: string;
}

export interface OutsideReport {
  slackMessagesRedacted: number;
  notesRedacted: number;
  openaiFilesDeleted: number;
  left: LeftItem[];
}

export const REDACTED_ALERT_TEXT = ':no_entry_sign: This compliance alert was removed: its evidence belonged to a person whose data was erased (GDPR).';

export async function eraseOutside(chat: AppChat | null, openWriteBack: OpenWriteBack, openai: ManagedFineTuning | null, found: Found, erasureId: string): Promise<OutsideReport> {
  const left: LeftItem[] = [];
  let openaiFilesDeleted = 0;
  let slackMessagesRedacted = 0;
  let notesRedacted = 0;
  for (const message of found.slackAlerts) {
    if (!chat) {
      left.push({ place: `Slack message ${message.ts} in ${message.channel}`, why: 'SLACK_BOT_TOKEN was not set where the erasure ran: delete the message in Slack' });
      continue;
    }
    // https://api.slack.com/methods/chat.update
    await chat.update({ channel: message.channel, ts: message.ts, text: `${REDACTED_ALERT_TEXT} (erasure ${erasureId})`, blocks: [] });
    slackMessagesRedacted++;
  }
  for (const note of found.notes) {
    const place = `${note.source} ticket ${note.ticketId}, internal note ${note.noteId} (tuneloop's draft)`;
    const writeBack = await openWriteBack(note.connectionId);
    if (!writeBack?.redactNote) {
      left.push({ place, why: writeBack ? `the ${note.source} API offers no redaction of a posted note: redact or delete it in ${note.source}` : 'its connection is gone: redact or delete it at the vendor' });
      continue;
    }
    await writeBack.redactNote(note.ticketId, note.noteId);
    notesRedacted++;
  }
  for (const task of found.salesforceTasks) {
    left.push({ place: `Salesforce Task ${task.taskId} (compliance alert)`, why: 'deleting Salesforce Tasks is not built yet: delete it in Salesforce' });
  }
  for (const file of found.openaiFiles) {
    if (!openai) {
      left.push({ place: `OpenAI file ${file.fileId} (fine-tuning job ${file.jobId})`, why: 'OPENAI_API_KEY was not set where the erasure ran: delete the file with the OpenAI Files API or dashboard' });
      continue;
    }
    // Already deleted (a resumed step, or by hand) counts as done.
    await openai.deleteFile(file.fileId);
    openaiFilesDeleted++;
  }
  return { slackMessagesRedacted, notesRedacted, openaiFilesDeleted, left };
}

/** Write-backs of stored connections, opened once each. */
export function writeBacksOf(db: Db, open: (row: typeof connections.$inferSelect) => WriteBack | null): OpenWriteBack {
  const opened = new Map<string, WriteBack | null>();
  return async (connectionId) => {
    if (!opened.has(connectionId)) {
      const [row] = await db.select().from(connections).where(eq(connections.id, connectionId));
      opened.set(connectionId, row ? open(row) : null);
    }
    return opened.get(connectionId) ?? null;
  };
}
