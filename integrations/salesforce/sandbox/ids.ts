/**
 * Salesforce record ids for the sandbox: a 3-character key prefix (500 = Case, 003 = Contact, …),
 * a 12-character body, and the 3-character case-safe suffix that turns the 15-character id into
 * the 18-character one the REST API returns.
 * https://help.salesforce.com/s/articleView?id=000385008&type=1 (what the 18-character id is)
 */

// ASCII order, so fixed-width counters compare in the same order as strings: `Id > :lastId` works.
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

export const KEY_PREFIXES = {
  Account: '001',
  Contact: '003',
  User: '005',
  CaseComment: '00a',
  Organization: '00D',
  Task: '00T',
  EmailMessage: '02s',
  ContentVersion: '068',
  ContentDocument: '069',
  ContentDocumentLink: '06A',
  QueryLocator: '01g',
  Case: '500',
} as const;

/** Appends the three checksum characters: one per 5-character chunk, a bit per upper-case letter. */
export function to18(id15: string): string {
  if (id15.length !== 15) throw new Error(`a 15-character id is needed, got ${id15.length} characters`);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const char = id15.charAt(chunk * 5 + i);
      if (char >= 'A' && char <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX.charAt(bits);
  }
  return id15 + suffix;
}

/** The nth id of a prefix: prefix + pod "5g" + "0" + a 9-character base-62 counter, then the suffix. */
export function makeId(prefix: string, n: number): string {
  let counter = '';
  let rest = n;
  for (let i = 0; i < 9; i++) {
    counter = BASE62.charAt(rest % 62) + counter;
    rest = Math.floor(rest / 62);
  }
  return to18(`${prefix}5g0${counter}`);
}

/** Salesforce accepts either length; the first 15 characters identify the record. */
export function sameId(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15);
}

export function isIdLike(value: string): boolean {
  return /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(value);
}
