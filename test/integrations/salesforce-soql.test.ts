/**
 * The sandbox's SOQL subset: what it parses, what it rejects with Salesforce's error codes, and
 * what it returns when run against the generated org (filters, relationship fields, ordering).
 */
import { describe, expect, it } from 'vitest';
import { to18 } from '../../integrations/salesforce/sandbox/ids.ts';
import { SalesforceStore } from '../../integrations/salesforce/sandbox/records.ts';
import { planQuery, type Row } from '../../integrations/salesforce/sandbox/soql-eval.ts';
import { parseSoql, SoqlError } from '../../integrations/salesforce/sandbox/soql.ts';

const store = new SalesforceStore(3, 40, { username: 'api@example.com', name: 'Api User', email: 'api@example.com' });
const run = (soql: string, includeDeleted = false): Row[] => planQuery(soql).run(store, { includeDeleted, apiVersion: '62.0' });

function soqlError(soql: string): SoqlError {
  try {
    planQuery(soql);
  } catch (error) {
    expect(error).toBeInstanceOf(SoqlError);
    return error as SoqlError;
  }
  throw new Error(`expected ${soql} to be rejected`);
}

describe('SOQL parser', () => {
  it('parses fields, relationship paths, nested AND/OR, IN, ORDER BY and LIMIT', () => {
    const query = parseSoql(
      "select Id, Contact.Name, CreatedBy.Name FROM Case WHERE (Status = 'Closed' OR Priority IN ('High', 'Low')) AND SystemModstamp >= 2025-01-06T08:00:00Z AND IsClosed = true ORDER BY SystemModstamp DESC, Id LIMIT 10 OFFSET 5",
    );
    expect(query.fields.map((f) => f.path.join('.'))).toEqual(['Id', 'Contact.Name', 'CreatedBy.Name']);
    expect(query.object.name).toBe('Case');
    expect(query.where).toMatchObject({ kind: 'and', parts: [{ kind: 'or' }, { kind: 'compare', op: '>=', value: { kind: 'datetime', value: Date.parse('2025-01-06T08:00:00Z') } }, { kind: 'compare', value: { kind: 'boolean', value: true } }] });
    expect(query.orderBy).toEqual([
      { field: expect.objectContaining({ path: ['SystemModstamp'] }), descending: true, nullsLast: true },
      { field: expect.objectContaining({ path: ['Id'] }), descending: false, nullsLast: false },
    ]);
    expect(query.limit).toBe(10);
    expect(query.offset).toBe(5);
  });

  it('reads string escapes and datetime offsets', () => {
    const query = parseSoql("SELECT Id FROM Case WHERE Subject = 'It\\'s \\\\ \"fine\"\\n' AND CreatedDate < 2025-01-06T10:00:00+02:00 AND CreatedDate > 2025-01-06T07:00:00.000-0100");
    expect(query.where).toMatchObject({
      parts: [
        { value: { kind: 'string', value: 'It\'s \\ "fine"\n' } },
        { value: { kind: 'datetime', value: Date.parse('2025-01-06T08:00:00Z') } },
        { value: { kind: 'datetime', value: Date.parse('2025-01-06T08:00:00Z') } },
      ],
    });
  });

  it.each([
    ['SELECT Id FROM Case WHERE', "unexpected token: '<EOF>'"],
    ["SELECT Id FROM Case WHERE Status = 'a' OR Status = 'b' AND Priority = 'c'", "unexpected token: 'AND'"],
    ['SELECT COUNT() FROM Case', "unexpected token: '('"],
    // Parent-to-child subqueries are answered now; one nested inside another is not SOQL.
    ['SELECT Id, (SELECT Id, (SELECT Id FROM CaseComments) FROM EmailMessages) FROM Case', "unexpected token: '('"],
    ['SELECT Id FROM Case GROUP BY Status', "unexpected token: 'GROUP'"],
    ["SELECT Id FROM Case WHERE Subject = 'open", 'expecting'],
    ["SELECT Id FROM Case WHERE Subject = 'bad \\q escape'", 'Illegal character sequence'],
    ['SELECT Id FROM Case WHERE CreatedDate = LAST_N_DAYS:3', "no viable alternative at character ':'"],
    ['SELECT Id FROM Case LIMIT -1', "unexpected token: '-1'"],
  ])('rejects %s as MALFORMED_QUERY', (soql, detail) => {
    const error = soqlError(soql);
    expect(error.errorCode).toBe('MALFORMED_QUERY');
    expect(error.message).toContain(detail);
    expect(error.message).toMatch(/ERROR at Row:1:Column:\d+/);
  });

  it('points at the offending column like Salesforce', () => {
    const soql = 'SELECT Id FROM Case WHERE';
    expect(soqlError(soql).message).toBe(`\n${soql}\n${' '.repeat(soql.length)}^\nERROR at Row:1:Column:${soql.length + 1}\nunexpected token: '<EOF>'`);
  });
});

describe('SOQL validation against the schema', () => {
  it.each([
    ['SELECT Id FROM Ticket', 'INVALID_TYPE', "sObject type 'Ticket' is not supported"],
    ['SELECT Idd FROM Case', 'INVALID_FIELD', "No such column 'Idd' on entity 'Case'"],
    ['SELECT Contact.Nope FROM Case', 'INVALID_FIELD', "No such column 'Nope' on entity 'Contact'"],
    ['SELECT Foo.Name FROM Case', 'INVALID_FIELD', "Didn't understand relationship 'Foo'"],
    ['SELECT Id, id FROM Case', 'INVALID_FIELD', 'duplicate field selected'],
    ["SELECT Id FROM Case WHERE Description = 'x'", 'INVALID_FIELD', "field 'Description' can not be filtered"],
    ['SELECT Id FROM EmailMessage ORDER BY TextBody', 'INVALID_FIELD', "field 'TextBody' can not be sorted"],
    ["SELECT Id FROM Case WHERE SystemModstamp > '2025-01-06T08:00:00Z'", 'INVALID_FIELD', 'must be of type dateTime and should not be enclosed in quotes'],
    ['SELECT Id FROM Case WHERE Status = Closed', 'MALFORMED_QUERY', "unexpected token: 'Closed'"],
    ['SELECT Id FROM Case WHERE Status = 5', 'INVALID_FIELD', 'must be of type string and should be enclosed in quotes'],
    ["SELECT Id FROM Case WHERE IsClosed = 'true'", 'INVALID_FIELD', 'must be of type boolean'],
    ["SELECT Id FROM Case WHERE Id = 'nope'", 'INVALID_QUERY_FILTER_OPERATOR', 'invalid ID field: nope'],
  ])('rejects %s', (soql, errorCode, detail) => {
    const error = soqlError(soql);
    expect(error.errorCode).toBe(errorCode);
    expect(error.message).toContain(detail);
  });
});

describe('SOQL evaluation', () => {
  const caseIds = store.threads.map((t) => t.caseId);

  it('filters with IN, comparisons and case-insensitive text, and sorts on several fields', () => {
    const rows = run(`SELECT Id, Status FROM Case WHERE Id IN ('${caseIds[0]}', '${caseIds[1]}', '${caseIds[2]!.slice(0, 15)}') ORDER BY Id DESC`);
    expect(rows.map((r) => r.Id)).toEqual([caseIds[2], caseIds[1], caseIds[0]]);
    const closed = run("SELECT Id FROM Case WHERE Status = 'closed'");
    expect(closed.length).toBe(store.threads.filter((t) => t.thread.status === 'solved' || t.thread.status === 'closed').length);
    const notClosed = run("SELECT Id FROM Case WHERE NOT Status = 'Closed'");
    expect(closed.length + notClosed.length).toBe(40);
    const ordered = run('SELECT Id, Priority, CreatedDate FROM Case ORDER BY Priority ASC, CreatedDate DESC');
    for (let i = 1; i < ordered.length; i++) {
      const [a, b] = [ordered[i - 1]!, ordered[i]!];
      const byPriority = String(a.Priority).localeCompare(String(b.Priority));
      expect(byPriority < 0 || (byPriority === 0 && String(a.CreatedDate) >= String(b.CreatedDate))).toBe(true);
    }
  });

  it('keyset-pages by (SystemModstamp, Id) without gaps or repeats', () => {
    const all = run('SELECT Id, SystemModstamp FROM Case ORDER BY SystemModstamp, Id');
    const seen: unknown[] = [];
    let where = '';
    for (;;) {
      const page = run(`SELECT Id, SystemModstamp FROM Case${where} ORDER BY SystemModstamp, Id LIMIT 7`);
      if (page.length === 0) break;
      seen.push(...page.map((r) => r.Id));
      const last = page[page.length - 1]!;
      const mark = String(last.SystemModstamp).replace('.000+0000', 'Z');
      where = ` WHERE SystemModstamp > ${mark} OR (SystemModstamp = ${mark} AND Id > '${String(last.Id)}')`;
    }
    expect(seen).toEqual(all.map((r) => r.Id));
  });

  it('returns relationship fields as nested records with attributes, null when unset', () => {
    const [row] = run(`SELECT Id, Contact.Name, Owner.Email, CaseNumber FROM Case WHERE Id = '${caseIds[0]}'`);
    const thread = store.threads[0]!.thread;
    expect(row).toEqual({
      attributes: { type: 'Case', url: `/services/data/v62.0/sobjects/Case/${caseIds[0]}` },
      Id: caseIds[0],
      Contact: { attributes: { type: 'Contact', url: expect.stringMatching(/\/sobjects\/Contact\/003/) }, Name: thread.customer.name },
      Owner: { attributes: { type: 'User', url: expect.stringMatching(/\/sobjects\/User\/005/) }, Email: thread.agent.email },
      CaseNumber: '00001001',
    });
    const comments = run('SELECT Id, CreatedBy.UserType, Parent.CaseNumber FROM CaseComment LIMIT 1');
    expect(comments[0]).toMatchObject({ CreatedBy: { UserType: 'Standard' }, Parent: { CaseNumber: expect.any(String) } });
    const tasks = run('SELECT Id, Who.Name FROM Task');
    expect(tasks).toEqual([]);
  });

  it('hides recycled records from query and shows them to queryAll', () => {
    const local = new SalesforceStore(3, 5, { username: 'api@example.com', name: 'Api User', email: 'api@example.com' });
    const id = local.threads[1]!.caseId;
    local.deleteCase(id);
    const plan = planQuery(`SELECT Id, IsDeleted FROM Case WHERE Id = '${id}'`);
    expect(plan.run(local, { includeDeleted: false, apiVersion: '62.0' })).toEqual([]);
    expect(plan.run(local, { includeDeleted: true, apiVersion: '62.0' })).toMatchObject([{ Id: id, IsDeleted: true }]);
    expect(planQuery(`SELECT Id FROM EmailMessage WHERE ParentId = '${id}'`).run(local, { includeDeleted: false, apiVersion: '62.0' })).toEqual([]);
  });

  it('supports LIKE with wildcards and escapes', () => {
    const subject = String(store.threads[0]!.thread.subject);
    const rows = run(`SELECT Id FROM Case WHERE Subject LIKE '${subject.slice(0, 5).replace(/'/g, "\\'")}%'`);
    expect(rows.map((r) => r.Id)).toContain(caseIds[0]);
  });

  it('computes 18-character ids with the case-safe suffix', () => {
    // Salesforce's documented example: 001A0000006Vm9r -> 001A0000006Vm9rIAC
    expect(to18('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
  });
});
