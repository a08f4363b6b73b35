/**
 * Write-back into Salesforce Cases: read a Case with its EmailMessages and CaseComments, post a
 * draft as an unpublished CaseComment (IsPublished = false: agents see it, the customer never
 * does), and fill empty Case fields from a triage (Type / Reason / Priority by default; the field
 * names come from the connection's `triageFields` setting). Picklist fields take only the values
 * the org defines: the model's label is matched to them through the Case's describe (read once),
 * and a label with no match is left out, since a restricted picklist refuses anything else.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_casecomment.htm
 *
 * A create is not idempotent: the CommentBody carries a marker, and before each retry of the
 * insert the Case's comments are read again, so an insert whose answer was lost is found instead
 * of repeated.
 */
import { z } from 'zod';
import { withRetry, type RetryPolicy } from '../common/retry.ts';
import { VendorError, type Conversation, type TriageChange, type TriageOutcome, type VendorLogger, type WriteBack, type WriteBackFactory, type WriteBackOptions } from '../types.ts';
import { SalesforceClient } from './client.ts';
import { toConversation } from './map.ts';
import { CASE_FIELDS, COMMENT_FIELDS, EMAIL_FIELDS, RawCase, RawCaseComment, RawEmailMessage } from './raw.ts';
import { salesforceCredentialsSchema, salesforceSettingsSchema, type SalesforceCredentials, type SalesforceSettings } from './settings.ts';

// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_create.htm
const CreateResult = z.object({ id: z.string().min(15), success: z.literal(true) });
const Describe = z.object({
  fields: z.array(z.object({ name: z.string(), type: z.string(), restrictedPicklist: z.boolean().nullish(), picklistValues: z.array(z.object({ value: z.string(), label: z.string().nullish(), active: z.boolean() })).nullish() })),
});
type FieldDescription = z.infer<typeof Describe>['fields'][number];

/** Words of a label, to compare "refund_request", "Refund request" and "REFUND REQUEST" alike. */
const words = (text: string) => text.replace(/[_\s]+/g, ' ').trim().toLowerCase();
const PRIORITY: Record<string, string> = { low: 'Low', normal: 'Medium', medium: 'Medium', high: 'High', urgent: 'High' };
const DEFAULT_TRIAGE_FIELDS = { type: 'Type', reason: 'Reason', priority: 'Priority' };
/** CaseComment.CommentBody holds at most 4,000 characters. */
const COMMENT_BODY_MAX = 4000;

function caseId(sourceId: string): string {
  if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(sourceId)) throw new VendorError('not_found', `"${sourceId.slice(0, 40)}" is not a Salesforce Case id`);
  return sourceId;
}

/** "refund_request" → "Refund request", the way picklist values read. */
function picklistValue(label: string): string {
  const text = label.replace(/_/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
}

export class SalesforceWriteBack implements WriteBack {
  readonly source = 'salesforce' as const;
  private readonly client: SalesforceClient;
  private readonly triageFields: { type: string; reason: string; priority: string };
  private caseFields: Map<string, FieldDescription> | null = null;

  constructor(settings: SalesforceSettings, credentials: SalesforceCredentials, private readonly options: WriteBackOptions & { retryPolicy?: Partial<RetryPolicy>; log?: VendorLogger } = {}) {
    this.client = new SalesforceClient(settings, credentials, {
      log: options.log,
      onCredentialsRefreshed: options.onCredentialsRefreshed,
      ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    });
    this.triageFields = settings.triageFields ?? DEFAULT_TRIAGE_FIELDS;
  }

  unsupported(): string | null {
    return null;
  }

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm
  private async comments(id: string, signal?: AbortSignal): Promise<RawCaseComment[]> {
    return this.client.query(`SELECT ${COMMENT_FIELDS.join(', ')} FROM CaseComment WHERE ParentId = '${id}' ORDER BY CreatedDate ASC, Id ASC`, RawCaseComment, 'CaseComment', signal ? { signal } : {});
  }

  private async caseRow(id: string, signal?: AbortSignal): Promise<RawCase> {
    const [row] = await this.client.query(`SELECT ${CASE_FIELDS.join(', ')} FROM Case WHERE Id = '${id}' LIMIT 1`, RawCase, 'Case', signal ? { signal } : {});
    if (!row) throw new VendorError('not_found', `Salesforce has no Case ${id} on ${this.client.host} (deleted, or not visible to the integration user)`, { status: 404 });
    return row;
  }

  async fetchTicket(sourceId: string, signal?: AbortSignal): Promise<Conversation> {
    const id = caseId(sourceId);
    const row = await this.caseRow(id, signal);
    const emails = await this.client.query(`SELECT ${EMAIL_FIELDS.join(', ')} FROM EmailMessage WHERE ParentId = '${id}' ORDER BY CreatedDate ASC, Id ASC`, RawEmailMessage, 'EmailMessage', signal ? { signal } : {});
    return toConversation(row, emails, await this.comments(id, signal));
  }

  /** CommentBody is a long text area, which SOQL cannot filter on: the comments are read and searched here. */
  async findNote(sourceId: string, marker: string, signal?: AbortSignal): Promise<string | null> {
    const found = (await this.comments(caseId(sourceId), signal)).find((comment) => !comment.IsPublished && (comment.CommentBody ?? '').includes(marker));
    return found?.Id ?? null;
  }

  async postInternalNote(sourceId: string, body: string, marker: string, signal?: AbortSignal): Promise<{ noteId: string }> {
    const id = caseId(sourceId);
    // Keep the end, where the marker is, if a draft is ever longer than a CaseComment can hold.
    const text = body.length > COMMENT_BODY_MAX ? `${body.slice(0, COMMENT_BODY_MAX - marker.length - 3)}…\n${marker}` : body;
    if (!text.includes(marker)) throw new Error('the note body must contain its marker');
    return withRetry(
      async (attempt) => {
        if (attempt > 1) {
          const existing = await this.findNote(id, marker, signal);
          if (existing) return { noteId: existing };
        }
        const answer = await this.client.sendOnce('POST', `/services/data/v${this.client.apiVersion}/sobjects/CaseComment`, { ParentId: id, CommentBody: text, IsPublished: false }, signal);
        const parsed = CreateResult.safeParse(answer);
        if (!parsed.success) throw new VendorError('malformed', 'Salesforce returned an unexpected answer to creating a CaseComment');
        return { noteId: parsed.data.id };
      },
      { policy: this.options.retryPolicy, ...(signal ? { signal } : {}) },
    );
  }

  private async describeCase(signal?: AbortSignal): Promise<Map<string, FieldDescription>> {
    if (this.caseFields) return this.caseFields;
    const described = await this.client.get(`/services/data/v${this.client.apiVersion}/sobjects/Case/describe`, Describe, 'Case describe', signal);
    this.caseFields = new Map(described.fields.map((field) => [field.name.toLowerCase(), field]));
    return this.caseFields;
  }

  /** The org's value for `label` in a picklist field (by value or label, ignoring case and underscores); the label itself for other fields. */
  private valueFor(field: FieldDescription | undefined, label: string): { value: string } | { refused: string } {
    if (!field || field.type !== 'picklist') return { value: picklistValue(label) };
    const active = (field.picklistValues ?? []).filter((option) => option.active);
    const match = active.find((option) => words(option.value) === words(label) || words(option.label ?? '') === words(label));
    if (match) return { value: match.value };
    if (field.restrictedPicklist) return { refused: `"${label.slice(0, 40)}" is not one of ${field.name}'s values` };
    return { value: picklistValue(label) };
  }

  /** Fills Type (category), Reason (intent) and Priority only where the Case has no value yet. */
  async applyTriage(sourceId: string, triage: TriageChange, signal?: AbortSignal): Promise<TriageOutcome> {
    const id = caseId(sourceId);
    const wanted: Array<{ name: string; field: string; value: string | undefined }> = [
      { name: 'category', field: this.triageFields.type, value: triage.fields.category },
      { name: 'intent', field: this.triageFields.reason, value: triage.fields.intent },
    ];
    const applied: string[] = [];
    const skipped: string[] = [];
    if (triage.priority !== undefined) {
      const priority = PRIORITY[triage.priority.toLowerCase()];
      if (priority) wanted.push({ name: 'priority', field: this.triageFields.priority, value: priority });
      else skipped.push(`priority: "${triage.priority.slice(0, 20)}" has no Salesforce value`);
    }
    for (const name of Object.keys(triage.fields)) if (name !== 'category' && name !== 'intent') skipped.push(`${name}: no Case field for it`);
    if (triage.tags.length) skipped.push('tags: Cases have no tags');
    const present = wanted.filter((entry) => entry.value !== undefined && entry.value !== '');
    if (!present.length) return { applied, skipped };

    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_get_field_values.htm
    const fields = [...new Set(present.map((entry) => entry.field))];
    const current = await this.client.get(`/services/data/v${this.client.apiVersion}/sobjects/Case/${id}?fields=${fields.join(',')}`, z.record(z.string(), z.unknown()), 'Case fields', signal);
    const patch: Record<string, string> = {};
    const described = await this.describeCase(signal);
    for (const entry of present) {
      const value = current[entry.field];
      // Any value counts as set, including an org's default (Cases are created with Priority "Medium" by default).
      const empty = value === null || value === undefined || value === '';
      if (!empty) {
        skipped.push(`${entry.name}: ${entry.field} already set`);
        continue;
      }
      const mapped = this.valueFor(described.get(entry.field.toLowerCase()), String(entry.value));
      if ('refused' in mapped) skipped.push(`${entry.name}: ${mapped.refused}`);
      else {
        patch[entry.field] = mapped.value;
        applied.push(`field:${entry.field}`);
      }
    }
    if (Object.keys(patch).length) {
      // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm (204; safe to repeat)
      await withRetry(() => this.client.sendOnce('PATCH', `/services/data/v${this.client.apiVersion}/sobjects/Case/${id}`, patch, signal), { policy: this.options.retryPolicy, ...(signal ? { signal } : {}) });
    }
    return { applied, skipped };
  }
}

export const salesforceWriteBack: WriteBackFactory = {
  source: 'salesforce',
  create: (settings: unknown, credentials: unknown, options: WriteBackOptions = {}) =>
    new SalesforceWriteBack(salesforceSettingsSchema.parse(settings), salesforceCredentialsSchema.parse(credentials), options),
};
