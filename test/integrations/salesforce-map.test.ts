/**
 * Raw Salesforce records → Conversation without a server: who wrote what (Incoming, the Automated
 * Process user, portal users), internal vs published comments, the Description-only first
 * message, deleted cases, and HTML bodies turned into text.
 */
import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../integrations/common/html-to-text.ts';
import { toConversation } from '../../integrations/salesforce/map.ts';
import { RawCase, RawCaseComment, RawEmailMessage } from '../../integrations/salesforce/raw.ts';

const CASE_ID = '5005g00000ABCDEAAA';
const rawCase = (overrides: Record<string, unknown> = {}) =>
  RawCase.parse({
    Id: CASE_ID,
    CaseNumber: '00001001',
    Subject: 'Refund please',
    Description: 'I want my money back.',
    Status: 'Working',
    Priority: 'High',
    Origin: 'Email',
    Type: 'Refund',
    Reason: 'Get refund',
    IsClosed: false,
    IsDeleted: false,
    ContactId: '0035g00000ABCDEAAA',
    Contact: { Name: 'Anna Weber', Email: 'anna@example.com' },
    SuppliedName: null,
    SuppliedEmail: null,
    AccountId: '0015g00000ABCDEAAA',
    OwnerId: '0055g00000AGENTAAA',
    Owner: { Name: 'Sam Carter', Email: 'sam@support.example' },
    CreatedDate: '2025-01-06T08:00:00.000+0000',
    SystemModstamp: '2025-01-06T09:30:00.000+0000',
    ...overrides,
  });
const email = (id: string, minute: number, overrides: Record<string, unknown>) =>
  RawEmailMessage.parse({
    Id: `02s5g00000ABC${id}AAA`,
    ParentId: CASE_ID,
    Incoming: true,
    FromName: 'Anna Weber',
    FromAddress: 'Anna@Example.com',
    ToAddress: 'support@example.com',
    Subject: 'Refund please',
    TextBody: 'I want my money back.',
    HtmlBody: null,
    MessageDate: `2025-01-06T08:${String(minute).padStart(2, '0')}:00.000+0000`,
    Status: '1',
    HasAttachment: false,
    CreatedDate: `2025-01-06T08:${String(minute).padStart(2, '0')}:00.000+0000`,
    CreatedById: '0055g00000AUTOPAAA',
    CreatedBy: { Name: 'Automated Process', Email: null, UserType: 'AutomatedProcess' },
    ...overrides,
  });
const comment = (id: string, minute: number, overrides: Record<string, unknown>) =>
  RawCaseComment.parse({
    Id: `00a5g00000ABC${id}AAA`,
    ParentId: CASE_ID,
    CommentBody: 'Checked the order.',
    IsPublished: false,
    CreatedDate: `2025-01-06T08:${String(minute).padStart(2, '0')}:00.000+0000`,
    CreatedById: '0055g00000AGENTAAA',
    CreatedBy: { Name: 'Sam Carter', Email: 'sam@support.example', UserType: 'Standard' },
    ...overrides,
  });

describe('salesforce mapping', () => {
  it('orders emails and comments and gives each the right author, role and visibility', () => {
    const conversation = toConversation(
      rawCase(),
      [
        email('DD', 40, { Incoming: false, FromName: 'Sam Carter', FromAddress: 'support@example.com', TextBody: null, HtmlBody: '<p>Hello Anna,</p><p>Refund is on its way &amp; done.<br>Sam</p>', CreatedById: '0055g00000AGENTAAA', CreatedBy: { Name: 'Sam Carter', Email: 'sam@support.example', UserType: 'Standard' } }),
        email('AA', 0, {}),
        email('BB', 5, { Incoming: false, FromName: 'Support', FromAddress: 'support@example.com', TextBody: 'We received your request.' }),
      ],
      [comment('CC', 20, {}), comment('EE', 50, { IsPublished: true, CommentBody: 'Any update?', CreatedById: '0055g00000PORTLAAA', CreatedBy: { Name: 'Anna Weber', Email: 'anna@example.com', UserType: 'PowerCustomerSuccess' } })],
    );
    expect(conversation.messages.map((m) => [m.authorRole, m.visibility, m.author?.name ?? null, m.body])).toEqual([
      ['customer', 'public', 'Anna Weber', 'I want my money back.'],
      ['bot', 'public', null, 'We received your request.'],
      ['agent', 'internal', 'Sam Carter', 'Checked the order.'],
      ['agent', 'public', 'Sam Carter', 'Hello Anna,\n\nRefund is on its way & done.\nSam'],
      ['customer', 'public', 'Anna Weber', 'Any update?'],
    ]);
    // The incoming email's sender is the case contact (addresses compare case-insensitively).
    expect(conversation.messages[0]!.author).toEqual({ id: '0035g00000ABCDEAAA', name: 'Anna Weber', email: 'anna@example.com' });
    expect(conversation).toMatchObject({
      source: 'salesforce',
      sourceId: CASE_ID,
      status: 'Working',
      channel: 'email',
      customFields: { caseNumber: '00001001', type: 'Refund', reason: 'Get refund', isClosed: false },
      organizationId: '0015g00000ABCDEAAA',
      updatedAt: new Date('2025-01-06T09:30:00Z'),
    });
  });

  it('adds the Description as the first message when no email carries it', () => {
    const web = toConversation(rawCase({ Origin: 'Web', ContactId: null, Contact: null, SuppliedName: 'Lea', SuppliedEmail: 'lea@example.org' }), [], []);
    expect(web.requester).toEqual({ id: 'supplied:lea@example.org', name: 'Lea', email: 'lea@example.org' });
    expect(web.messages).toEqual([{ sourceId: `${CASE_ID}:description`, authorRole: 'customer', author: web.requester, visibility: 'public', body: 'I want my money back.', createdAt: new Date('2025-01-06T08:00:00Z'), attachments: [] }]);
  });

  it('marks recycled cases deleted without messages', () => {
    const deleted = toConversation(rawCase({ IsDeleted: true }), [], []);
    expect([deleted.deleted, deleted.messages]).toEqual([true, []]);
  });

  it('turns HTML mail into readable text', () => {
    const html = `<html><head><title>x</title><style>p { color: red }</style></head><body>
      <div>Hi&nbsp;Anna,</div><!-- tracking -->
      <ul><li>First &lt;step&gt;</li><li>Second&#8212;step &#x263A;</li></ul>
      <p>Thanks,<br/>Sam</p><script>alert(1)</script></body></html>`;
    // Line breaks around blocks are html-to-text's: a list right after a <div> follows on the next line.
    expect(htmlToText(html)).toBe('Hi Anna,\n- First <step>\n- Second—step ☺\n\nThanks,\nSam');
  });
});
