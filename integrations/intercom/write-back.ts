/**
 * Write-back into Intercom: a draft reply as an internal note on the conversation, and triage as
 * tags. Notes and tags need an admin as their author: the connection's `adminId`, else the admin
 * the token belongs to (GET /me, asked once).
 *
 * - Note: POST /conversations/{id}/reply with message_type "note" (https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/replyconversation).
 *   At most once per marker: after a 5xx or a dropped connection the note may exist, so the
 *   conversation's notes are read before posting again; after a 429 it does not.
 * - Tags: POST /tags creates the tag or finds it by name (case-insensitive), then
 *   POST /conversations/{id}/tags attaches it (https://developers.intercom.com/docs/references/rest-api/api.intercom.io/tags/attachtagtoconversation).
 *   Both are safe to repeat. Intercom has no fields for intent or confidence, and its priority is a
 *   flag an agent sets; those are left alone.
 */
import { textToHtml } from '../common/html-to-text.ts';
import { withRetry, type RetryPolicy } from '../common/retry.ts';
import { VendorError, type Conversation, type TriageChange, type TriageOutcome, type VendorLogger, type WriteBack, type WriteBackFactory, type WriteBackOptions } from '../types.ts';
import { IntercomApi } from './client.ts';
import { toConversation } from './map.ts';
import { IntercomConversation, Me, TagAnswer } from './schemas.ts';
import { IntercomCredentials, IntercomSettings } from './settings.ts';

function conversationId(sourceId: string): string {
  if (!/^\d{1,30}$/.test(sourceId)) throw new VendorError('not_found', `"${sourceId.slice(0, 40)}" is not an Intercom conversation id`);
  return sourceId;
}

/** Intercom tag names are free text; keep them short and on one line. */
function tagName(text: string): string {
  return text.trim().replace(/\s+/g, ' ').slice(0, 100);
}

export class IntercomWriteBack implements WriteBack {
  readonly source = 'intercom' as const;
  private readonly api: IntercomApi;
  private adminId: string | null;

  constructor(settings: IntercomSettings, credentials: IntercomCredentials, private readonly options: { retryPolicy?: Partial<RetryPolicy>; log?: VendorLogger } = {}) {
    const parsed = IntercomSettings.parse(settings);
    this.api = new IntercomApi(parsed, IntercomCredentials.parse(credentials), options);
    this.adminId = parsed.adminId ?? null;
  }

  unsupported(): string | null {
    return null;
  }

  private async admin(signal?: AbortSignal): Promise<string> {
    if (this.adminId) return this.adminId;
    // https://developers.intercom.com/docs/references/rest-api/api.intercom.io/admins/identifyadmin
    const me = await this.api.call('identify the token\'s admin', (client, callOptions) => client.admins.identify(callOptions), Me, signal);
    this.adminId = String(me.id);
    return this.adminId;
  }

  // https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/retrieveconversation
  private read(id: string, signal?: AbortSignal): Promise<IntercomConversation> {
    return this.api.call(`read conversation ${id}`, (client, callOptions) => client.conversations.find({ conversation_id: id, display_as: 'plaintext' }, callOptions), IntercomConversation, signal);
  }

  async fetchTicket(sourceId: string, signal?: AbortSignal): Promise<Conversation> {
    return toConversation(await this.read(conversationId(sourceId), signal));
  }

  async findNote(sourceId: string, marker: string, signal?: AbortSignal): Promise<string | null> {
    const conversation = await this.read(conversationId(sourceId), signal);
    const note = conversation.conversation_parts?.conversation_parts.find((part) => part.part_type === 'note' && (part.body ?? '').includes(marker));
    return note ? String(note.id) : null;
  }

  async postInternalNote(sourceId: string, body: string, marker: string, signal?: AbortSignal): Promise<{ noteId: string }> {
    if (!body.includes(marker)) throw new Error('the note body must contain its marker');
    const id = conversationId(sourceId);
    const adminId = await this.admin(signal);
    let mayExist = false;
    return withRetry(
      async () => {
        if (mayExist) {
          const existing = await this.findNote(sourceId, marker, signal);
          if (existing) return { noteId: existing };
        }
        const reply = { conversation_id: id, body: { message_type: 'note' as const, type: 'admin' as const, admin_id: adminId, body: textToHtml(body) } };
        const answer = await this.api.call(`add an internal note to conversation ${id}`, (client, callOptions) => client.conversations.reply(reply, callOptions), IntercomConversation, signal, 1);
        const parts = answer.conversation_parts?.conversation_parts ?? [];
        const note = [...parts].reverse().find((part) => part.part_type === 'note');
        if (note) return { noteId: String(note.id) };
        const existing = await this.findNote(sourceId, marker, signal);
        if (!existing) throw new VendorError('malformed', `Intercom accepted the note on conversation ${id} but it is not among the conversation's parts`);
        return { noteId: existing };
      },
      {
        policy: this.options.retryPolicy,
        ...(signal ? { signal } : {}),
        onRetry: ({ attempt, delayMs, error }) => {
          if (error.kind !== 'rate_limited') mayExist = true;
          this.options.log?.warn({ vendor: 'intercom', conversationId: id, attempt, delayMs, kind: error.kind, status: error.status }, 'retrying an Intercom note');
        },
      },
    );
  }

  /** Tags are added, never removed; tags already on the conversation are left as they are. */
  async applyTriage(sourceId: string, triage: TriageChange, signal?: AbortSignal): Promise<TriageOutcome> {
    const id = conversationId(sourceId);
    const conversation = await this.read(id, signal);
    const applied: string[] = [];
    const skipped: string[] = [];
    const present = new Set((conversation.tags?.tags ?? []).map((tag) => tag.name.toLowerCase()));
    const wanted = [...new Set(triage.tags.map(tagName).filter(Boolean))];
    const fresh = wanted.filter((name) => !present.has(name.toLowerCase()));
    if (wanted.length && !fresh.length) skipped.push('tags: already on the conversation');
    if (fresh.length) {
      const adminId = await this.admin(signal);
      for (const name of fresh) {
        // https://developers.intercom.com/docs/references/rest-api/api.intercom.io/tags/createtag (create or find by name)
        const tag = await this.api.call(`create the tag "${name}"`, (client, callOptions) => client.tags.create({ name }, callOptions), TagAnswer, signal);
        await this.api.call(`tag conversation ${id}`, (client, callOptions) => client.tags.tagConversation({ conversation_id: id, id: String(tag.id), admin_id: adminId }, callOptions), TagAnswer, signal);
        applied.push(`tag:${name}`);
      }
    }
    if (triage.priority !== undefined) skipped.push('priority: Intercom\'s priority is a flag agents set; not written');
    for (const name of Object.keys(triage.fields)) skipped.push(`${name}: no Intercom field for it`);
    return { applied, skipped };
  }
}

export const intercomWriteBack: WriteBackFactory = {
  source: 'intercom',
  create: (settings: unknown, credentials: unknown, options: WriteBackOptions = {}) =>
    new IntercomWriteBack(IntercomSettings.parse(settings), IntercomCredentials.parse(credentials), {
      ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
      ...(options.log ? { log: options.log } : {}),
    }),
};
