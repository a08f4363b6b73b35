/**
 * The sandbox org's records, built from generateSupportThreads: a Case per thread (Email-to-Case
 * or Web-to-Case), an EmailMessage per customer, agent or auto-reply turn, a private CaseComment
 * per internal note, and the Contacts, Accounts and Users they point at. Tests change the org
 * through touchCases / addCase / deleteCase and read requestLog / violations.
 */
import { generateSupportThreads, type SandboxThread, type SandboxTurn } from '../../sandbox-kit/data.ts';
import { KEY_PREFIXES, makeId, sameId } from './ids.ts';
import { objectDef } from './schema.ts';
import type { RecordSource, Row } from './soql-eval.ts';

export const SUPPORT_ADDRESS = 'support@example-shop.com';

export interface RequestLogEntry {
  at: number;
  method: string;
  path: string;
  /** The SOQL of a query call (no secrets: tokens never reach the log). */
  soql: string | null;
  status: number;
}

export interface Violation {
  at: number;
  path: string;
  /** How much earlier than the Retry-After deadline the request came. */
  earlyByMs: number;
}

const STATUS: Record<SandboxThread['status'], string> = { new: 'New', open: 'Working', pending: 'On Hold', solved: 'Closed', closed: 'Closed' };
const PRIORITY: Record<SandboxThread['priority'], string> = { low: 'Low', normal: 'Medium', high: 'High', urgent: 'High' };

const toSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();

export function textToHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const paragraphs = escaped.split(/\n{2,}/).map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`);
  return `<html><head><style>p { margin: 0 0 1em; }</style></head><body>${paragraphs.join('\n')}</body></html>`;
}

export class SalesforceStore implements RecordSource {
  readonly orgId = makeId(KEY_PREFIXES.Organization, 1);
  readonly requestLog: RequestLogEntry[] = [];
  readonly violations: Violation[] = [];
  /** Each Case with the thread it was built from, in thread order. */
  readonly threads: Array<{ caseId: string; thread: SandboxThread }> = [];
  readonly integrationUserId: string;
  readonly automatedProcessUserId: string;

  private readonly tables = new Map<string, Map<string, Row>>();
  private readonly byId = new Map<string, { objectName: string; row: Row }>();
  /** `Object.Field` → parent id (15) → child rows, for parent-to-child subqueries. */
  private readonly childIndex = new Map<string, Map<string, Row[]>>();
  private readonly counters = new Map<string, number>();
  private readonly usersByEmail = new Map<string, string>();
  private readonly contactsByEmail = new Map<string, string>();
  private readonly accountsByName = new Map<string, string>();
  private lastStamp = 0;

  constructor(
    private readonly seed: number,
    caseCount: number,
    integrationUser: { username: string; name: string; email: string },
  ) {
    const setupAt = Date.parse('2024-12-01T09:00:00Z');
    this.integrationUserId = this.insertUser(integrationUser.name, integrationUser.email, integrationUser.username, 'Standard', setupAt);
    this.automatedProcessUserId = this.insertUser('Automated Process', `autoproc@${this.orgId.toLowerCase()}.example`, `autoproc@${this.orgId.toLowerCase()}`, 'AutomatedProcess', setupAt);
    for (const thread of generateSupportThreads({ seed, count: caseCount })) this.addThread(thread, 0);
  }

  // --- RecordSource -------------------------------------------------------------------------

  rows(objectName: string): Iterable<Row> {
    return this.tables.get(objectName)?.values() ?? [];
  }

  children(objectName: string, field: string, parentId: string): Iterable<Row> {
    return this.childIndex.get(`${objectName}.${field}`)?.get(parentId.slice(0, 15)) ?? [];
  }

  get(id: string): { objectName: string; row: Row } | undefined {
    return this.byId.get(id.slice(0, 15));
  }

  count(objectName: string, includeDeleted = false): number {
    let n = 0;
    for (const row of this.rows(objectName)) if (includeDeleted || row.IsDeleted !== true) n++;
    return n;
  }

  // --- writes (REST create/update and the test API) -------------------------------------------

  /** A modification time that never goes backwards, at Salesforce's one-second precision. */
  stamp(): number {
    this.lastStamp = Math.max(toSecond(Date.now()), this.lastStamp);
    return this.lastStamp;
  }

  insert(objectName: string, fields: Row, at: number = this.stamp(), createdById: string = this.integrationUserId): Row {
    const def = objectDef(objectName);
    if (!def) throw new Error(`unknown object ${objectName}`);
    const prefix = KEY_PREFIXES[def.name as keyof typeof KEY_PREFIXES];
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    const row: Row = {
      Id: makeId(prefix, n),
      ...(def.fields.has('isdeleted') ? { IsDeleted: false } : {}),
      ...fields,
      CreatedDate: at,
      CreatedById: createdById,
      LastModifiedDate: at,
      LastModifiedById: createdById,
      SystemModstamp: at,
    };
    let table = this.tables.get(def.name);
    if (!table) this.tables.set(def.name, (table = new Map()));
    table.set(String(row.Id), row);
    this.byId.set(String(row.Id).slice(0, 15), { objectName: def.name, row });
    for (const reference of def.fields.values()) {
      const parent = row[reference.name];
      if (!reference.childRelationshipName || typeof parent !== 'string') continue;
      const key = `${def.name}.${reference.name}`;
      let index = this.childIndex.get(key);
      if (!index) this.childIndex.set(key, (index = new Map()));
      const list = index.get(parent.slice(0, 15));
      if (list) list.push(row);
      else index.set(parent.slice(0, 15), [row]);
    }
    // A new EmailMessage or CaseComment changes its own SystemModstamp, not its Case's (Salesforce
    // updates the Case only when something changes the Case itself).
    return row;
  }

  update(id: string, fields: Row, byUserId: string = this.integrationUserId): void {
    const found = this.get(id);
    if (!found) throw new Error(`no record ${id}`);
    const at = this.stamp();
    Object.assign(found.row, fields, { LastModifiedDate: at, LastModifiedById: byUserId, SystemModstamp: at });
    if (found.objectName === 'Case' && typeof fields.Status === 'string') {
      found.row.IsClosed = fields.Status === 'Closed';
      found.row.ClosedDate = found.row.IsClosed ? at : null;
    }
  }

  /** Updates n cases spread over the org (a customer follow-up email each); returns their ids. */
  touchCases(n: number): string[] {
    const live = this.threads.filter(({ caseId }) => this.get(caseId)?.row.IsDeleted !== true);
    const step = live.length / Math.max(1, n);
    const ids = Array.from({ length: Math.min(n, live.length) }, (_, i) => live[Math.floor(i * step)]!.caseId);
    for (const id of ids) this.touchCase(id);
    return ids;
  }

  touchCase(caseId: string): void {
    const found = this.get(caseId);
    if (!found || found.objectName !== 'Case') throw new Error(`no case ${caseId}`);
    const contact = typeof found.row.ContactId === 'string' ? this.get(found.row.ContactId)?.row : undefined;
    const at = this.stamp();
    this.insert('EmailMessage', {
      ParentId: found.row.Id,
      Subject: `Re: ${String(found.row.Subject)}`,
      FromName: contact?.Name ?? null,
      FromAddress: contact?.Email ?? null,
      ToAddress: SUPPORT_ADDRESS,
      TextBody: 'Any news on this? I am still waiting for an answer.',
      HtmlBody: textToHtml('Any news on this? I am still waiting for an answer.'),
      Incoming: true,
      HasAttachment: false,
      Status: '0',
      MessageDate: at,
    }, at, this.automatedProcessUserId);
    Object.assign(found.row, { LastModifiedDate: at, SystemModstamp: at });
  }

  /** Files' bytes by ContentVersion id (15 characters): what /sobjects/ContentVersion/{id}/VersionData answers. */
  readonly versionData = new Map<string, Uint8Array>();

  /**
   * A file shared with a record, as Salesforce Files keeps it: a ContentDocument, its first
   * ContentVersion (the bytes) and a ContentDocumentLink to the record. Shared with an EmailMessage
   * (an email sent or received with it), the email says HasAttachment. Returns the version's id.
   */
  attachFile(recordId: string, file: { title: string; extension: string; content: Uint8Array }, byUserId: string = this.integrationUserId): string {
    const record = this.get(recordId);
    if (!record || (record.objectName !== 'EmailMessage' && record.objectName !== 'Case')) throw new Error(`no email or case ${recordId}`);
    const at = this.stamp();
    const fileType = { pdf: 'PDF', docx: 'WORD_X', txt: 'TEXT', html: 'HTML', csv: 'CSV', png: 'PNG' }[file.extension.toLowerCase()] ?? 'UNKNOWN';
    const sizes = { Title: file.title, FileExtension: file.extension, FileType: fileType, ContentSize: file.content.byteLength };
    const document = this.insert('ContentDocument', { ...sizes, LatestPublishedVersionId: null, OwnerId: byUserId }, at, byUserId);
    const version = this.insert('ContentVersion', { ...sizes, ContentDocumentId: document.Id, PathOnClient: `${file.title}.${file.extension}`, IsLatest: true, FirstPublishLocationId: record.row.Id }, at, byUserId);
    document.LatestPublishedVersionId = version.Id;
    this.insert('ContentDocumentLink', { ContentDocumentId: document.Id, LinkedEntityId: record.row.Id, ShareType: 'V', Visibility: 'AllUsers' }, at, byUserId);
    this.versionData.set(String(version.Id).slice(0, 15), file.content);
    if (record.objectName === 'EmailMessage') Object.assign(record.row, { HasAttachment: true, LastModifiedDate: at, SystemModstamp: at });
    return String(version.Id);
  }

  /**
   * An email an agent sends from a case (outgoing, as the case's owner), like Send Email in the
   * case feed; returns its id. With `attachments`, the files go with it (attachFile).
   */
  sendEmail(caseId: string, text: string, attachments: Array<{ title: string; extension: string; content: Uint8Array }> = []): string {
    const found = this.get(caseId);
    if (!found || found.objectName !== 'Case') throw new Error(`no case ${caseId}`);
    const ownerId = String(found.row.OwnerId);
    const owner = this.get(ownerId)?.row;
    const contact = typeof found.row.ContactId === 'string' ? this.get(found.row.ContactId)?.row : undefined;
    const at = this.stamp();
    const email = this.insert('EmailMessage', {
      ParentId: found.row.Id,
      Subject: `Re: ${String(found.row.Subject)}`,
      FromName: owner?.Name ?? null,
      FromAddress: SUPPORT_ADDRESS,
      ToAddress: contact?.Email ?? null,
      TextBody: text,
      HtmlBody: textToHtml(text),
      Incoming: false,
      HasAttachment: false,
      Status: '3',
      MessageDate: at,
    }, at, ownerId);
    for (const attachment of attachments) this.attachFile(String(email.Id), attachment, ownerId);
    return String(email.Id);
  }

  /** Adds the seed's next thread as a new case, as if it had just been written; returns its id. */
  addCase(): string {
    const number = this.threads.length + 1;
    const thread = generateSupportThreads({ seed: this.seed, count: number })[number - 1]!;
    return this.addThread(thread, this.stamp() - toSecond(thread.updatedAt.getTime()));
  }

  /** Moves a case to the recycle bin: IsDeleted, with its emails and comments; queryAll still sees it. */
  deleteCase(caseId: string): void {
    const found = this.get(caseId);
    if (!found || found.objectName !== 'Case') throw new Error(`no case ${caseId}`);
    const at = this.stamp();
    Object.assign(found.row, { IsDeleted: true, LastModifiedDate: at, SystemModstamp: at });
    for (const child of ['EmailMessage', 'CaseComment']) {
      for (const row of this.rows(child)) if (typeof row.ParentId === 'string' && sameId(row.ParentId, caseId)) Object.assign(row, { IsDeleted: true, SystemModstamp: at });
    }
  }

  // --- building the org from threads ----------------------------------------------------------

  private insertUser(name: string, email: string, username: string, userType: string, at: number): string {
    const [first, ...last] = name.split(' ');
    const row = this.insert('User', { Username: username, FirstName: first ?? null, LastName: last.join(' ') || name, Name: name, Email: email, Alias: name.slice(0, 8).toLowerCase().replace(/\s/g, ''), IsActive: true, UserType: userType }, at, this.integrationUserId || 'self');
    if (!this.integrationUserId) Object.assign(row, { CreatedById: row.Id, LastModifiedById: row.Id });
    this.usersByEmail.set(email, String(row.Id));
    return String(row.Id);
  }

  private agent(person: { name: string; email: string }): string {
    return this.usersByEmail.get(person.email) ?? this.insertUser(person.name, person.email, person.email, 'Standard', Date.parse('2024-12-01T09:00:00Z'));
  }

  private account(name: string): string {
    let id = this.accountsByName.get(name);
    if (!id) this.accountsByName.set(name, (id = String(this.insert('Account', { Name: name, OwnerId: this.integrationUserId }, Date.parse('2024-12-01T09:00:00Z')).Id)));
    return id;
  }

  private contact(person: { name: string; email: string; phone: string | null }, accountId: string, at: number): string {
    let id = this.contactsByEmail.get(person.email);
    if (!id) {
      const [first, ...last] = person.name.split(' ');
      const row = this.insert('Contact', { AccountId: accountId, FirstName: first ?? null, LastName: last.join(' ') || person.name, Name: person.name, Email: person.email, Phone: person.phone, OwnerId: this.integrationUserId }, at);
      this.contactsByEmail.set(person.email, (id = String(row.Id)));
    }
    return id;
  }

  private addThread(thread: SandboxThread, shiftMs: number): string {
    const at = (date: Date) => toSecond(date.getTime()) + shiftMs;
    const createdAt = at(thread.createdAt);
    const first = thread.turns[0]!;
    // Every fifth case came in through the web form: its first message lives only in Description.
    const origin = thread.number % 5 === 0 ? 'Web' : 'Email';
    const ownerId = this.agent(thread.agent);
    const accountId = this.account(thread.organization);
    const contactId = this.contact(thread.customer, accountId, createdAt);
    const status = STATUS[thread.status];
    const caseRow = this.insert('Case', {
      CaseNumber: String(1000 + this.threads.length + 1).padStart(8, '0'),
      ContactId: contactId,
      AccountId: accountId,
      SuppliedName: origin === 'Web' ? thread.customer.name : null,
      SuppliedEmail: origin === 'Web' ? thread.customer.email : null,
      Type: capitalize(thread.category),
      Status: status,
      Reason: capitalize(thread.intent.replace(/_/g, ' ')),
      Origin: origin,
      Subject: thread.subject,
      Priority: PRIORITY[thread.priority],
      Description: first.body,
      IsClosed: status === 'Closed',
      ClosedDate: status === 'Closed' ? at(thread.updatedAt) : null,
      OwnerId: ownerId,
    }, createdAt, this.automatedProcessUserId);
    const caseId = String(caseRow.Id);
    this.threads.push({ caseId, thread });
    thread.turns.forEach((turn, index) => {
      if (index === 0 && origin === 'Web') return;
      this.addTurn(thread, turn, caseId, ownerId, at(turn.at), index === 0);
    });
    Object.assign(caseRow, { LastModifiedDate: at(thread.updatedAt), SystemModstamp: at(thread.updatedAt) });
    this.lastStamp = Math.max(this.lastStamp, at(thread.updatedAt));
    return caseId;
  }

  private addTurn(thread: SandboxThread, turn: SandboxTurn, caseId: string, ownerId: string, at: number, isFirst: boolean): void {
    if (turn.kind === 'internal') {
      this.insert('CaseComment', { ParentId: caseId, IsPublished: false, CommentBody: turn.body }, at, ownerId);
      return;
    }
    const incoming = turn.kind === 'customer';
    // Agents at some companies write HTML-only mail; the harvest must turn it into text.
    const htmlOnly = turn.kind === 'agent' && thread.number % 3 === 0;
    this.insert('EmailMessage', {
      ParentId: caseId,
      Subject: isFirst ? thread.subject : `Re: ${thread.subject}`,
      FromName: incoming ? thread.customer.name : turn.kind === 'bot' ? 'Customer Support' : thread.agent.name,
      FromAddress: incoming ? thread.customer.email : SUPPORT_ADDRESS,
      ToAddress: incoming ? SUPPORT_ADDRESS : thread.customer.email,
      CcAddress: null,
      TextBody: htmlOnly ? null : turn.body,
      HtmlBody: textToHtml(turn.body),
      Incoming: incoming,
      HasAttachment: false,
      Status: incoming ? '1' : '3',
      MessageDate: at,
    }, at, incoming || turn.kind === 'bot' ? this.automatedProcessUserId : ownerId);
  }
}
