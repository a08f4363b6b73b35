import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policiesFor } from '../../src/serving/compliance/handler.ts';
import { compilePolicies, loadPolicies, PolicyFileError } from '../../src/serving/compliance/policies/policies.ts';
import { assertSafePattern, SafeRegex, UnsafePatternError } from '../../src/serving/compliance/policies/safe-regex.ts';

const policies = loadPolicies('policies/compliance.yaml');
const agent = (body: string, visibility: 'public' | 'internal' = 'public') => ({ authorRole: 'agent' as const, visibility, body });
const found = (message: Parameters<typeof policies.scan>[0]) => Object.fromEntries(policies.scan(message).findings.map((f) => [f.policy.id, f.evidence.map((e) => e.excerpt)]));

const base = { id: 'x-policy', version: 1, description: 'd', severity: 'low', scope: 'both', owner: 'o', detector: { type: 'keyword', terms: ['foo'] } };
const file = (...list: unknown[]) => ({ format: 1, policies: list });

describe('compliance policies', () => {
  it('loads the shipped policy file: every detector type, English and German', () => {
    expect(policies.policies.map((p) => p.policy.detector.type).sort()).toEqual(['forbidden_promise', 'keyword', 'pii_outbound', 'regex', 'regulated_advice']);
    expect(found(agent('Good news: a 100% refund guaranteed for you.'))).toEqual({ 'forbidden-refund-promise': ['100% refund'] });
    expect(found(agent('Ihr Geld wird garantiert erstattet.'))).toEqual({ 'forbidden-refund-promise': ['garantiert erstattet'] });
    expect(found(agent('Honestly, you should buy some Tesla shares now.'))).toEqual({ 'regulated-advice': ['you should buy some Tesla shares'] });
    expect(found(agent('Nehmen Sie einfach 800 mg Ibuprofen.'))).toEqual({ 'regulated-advice': ['Nehmen Sie einfach 800 mg'] });
    expect(found({ authorRole: 'customer', visibility: 'public', body: 'Sonst schalte ich meinen Anwalt ein.' })).toEqual({ 'legal-threat': ['Anwalt'] });
    expect(found({ authorRole: 'customer', visibility: 'public', body: 'Mein Passwort: Sommer2025!' })).toEqual({ 'credentials-in-message': ['Passwort: Sommer2025!'] });
    // The company's own contact data is on the allow list; describing a guarantee policy is no promise.
    expect(found(agent('Call us on +1 800 555 0199 or write to help@example.com. Our money-back guarantee covers 30 days.'))).toEqual({});
  });

  it('does not count refusals, partial words or the wrong side of the conversation', () => {
    expect(found(agent('We cannot guarantee a refund, sorry.'))).toEqual({});
    expect(found(agent('The refund is not guaranteed.'))).toEqual({});
    expect(found(agent('Die Erstattung ist leider nicht garantiert.'))).toEqual({});
    expect(found({ authorRole: 'customer', visibility: 'public', body: 'Is a 100% refund guaranteed?' })).toEqual({});
    expect(found(agent('Our lawyers-only portal'))).toEqual({}); // inbound keyword on an agent message
    expect(found({ authorRole: 'customer', visibility: 'public', body: 'Klagenfurt is lovely' })).toEqual({});
  });

  it('finds PII in public agent replies with exact spans, but not in internal notes', () => {
    const body = 'Please write to jane.doe@example.org today.';
    const result = policies.scan(agent(body)).findings.find((f) => f.policy.id === 'pii-in-public-reply');
    expect(result?.evidence).toEqual([{ start: 16, end: 36, excerpt: 'jane.doe@example.org', kind: 'EMAIL' }]);
    expect(body.slice(16, 36)).toBe('jane.doe@example.org');
    expect(found(agent(body, 'internal'))).toEqual({});
    expect(found(agent('100% refund guaranteed', 'internal'))).toEqual({});
  });

  it('stops on a bad file with one line naming the file, the policy and the field', () => {
    expect(() => compilePolicies(file({ ...base, severity: 'urgent' }), 'p.yaml')).toThrow(/^p\.yaml: policy "x-policy": severity: /);
    expect(() => compilePolicies(file(base, { ...base, version: 2 }), 'p.yaml')).toThrow('p.yaml: policy "x-policy": id is used twice');
    expect(() => compilePolicies(file({ ...base, detector: { type: 'regex', pattern: '(a+)+$' } }), 'p.yaml')).toThrow(/p\.yaml: policy "x-policy": detector\.pattern: nested quantifier/);
    expect(() => compilePolicies(file({ ...base, detector: { type: 'pii_outbound' } }), 'p.yaml')).toThrow(/scope must be outbound/);
    expect(() => compilePolicies(file({ ...base, detector: { type: 'keyword', terms: [] } }), 'p.yaml')).toThrow(/detector\.terms: needs at least one term/);
    expect(() => compilePolicies(file({ ...base, id: undefined }), 'p.yaml')).toThrow(/^p\.yaml: policy #1: id: /);
    expect(() => compilePolicies({ policies: [] }, 'p.yaml')).toThrow(/^p\.yaml: format: /);
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    writeFileSync(join(dir, 'bad.yaml'), 'format: 1\npolicies: [ {id: x\n');
    expect(() => loadPolicies(join(dir, 'bad.yaml'))).toThrow(PolicyFileError);
    expect(() => loadPolicies(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot be read \(ENOENT\)/);
    // The worker builds its handlers from the configured file: a bad one stops it at start.
    writeFileSync(join(dir, 'severity.yaml'), 'format: 1\npolicies:\n  - {id: refunds, version: 1, description: d, severity: huge, scope: outbound, owner: o, detector: {type: keyword, terms: [refund]}}\n');
    expect(() => policiesFor({ COMPLIANCE_POLICY_FILE: join(dir, 'severity.yaml') })).toThrow(/severity\.yaml: policy "refunds": severity: Invalid option: expected one of "low"\|"medium"\|"high"\|"critical"/);
  });

  it('rejects catastrophic patterns at load and runs the rest in linear time', () => {
    for (const bad of ['(a+)+b', '(\\w*)*x', '((ab)*c)+', '(x+y?)*', '(a|b)\\1', '(?:.{0,1000})+z']) expect(() => assertSafePattern(bad, ''), bad).toThrow(UnsafePatternError);
    for (const ok of ['(?<!\\d)(?:\\d[ -]?){12,18}\\d(?!\\d)', 'refund[s]?', '[(+*)]+', '\\(a+\\)+']) expect(() => assertSafePattern(ok, ''), ok).not.toThrow();
    // Alternation with overlap passes the static check; the linear-time engine (re2js) runs it on a
    // hostile message at once, where a backtracking engine would take exponential time.
    const set = compilePolicies(file({ ...base, detector: { type: 'regex', pattern: '(?:a|aa)*b', flags: '' } }, { ...base, id: 'y-policy' }), 'p.yaml');
    const result = set.scan({ authorRole: 'customer', visibility: 'public', body: `${'a'.repeat(100_000)} foo` });
    expect(result.errors).toEqual([]);
    expect(result.findings.map((f) => f.policy.id)).toEqual(['y-policy']);
    // What RE2 cannot run in linear time is refused at load; lookbehinds run in its linear-time mode.
    expect(() => new SafeRegex('\\d+(?!px)', '')).toThrow(/linear-time engine/);
    expect(() => compilePolicies(file({ ...base, detector: { type: 'regex', pattern: 'x(?=y)', flags: '' } }), 'p.yaml')).toThrow(/detector\.pattern: not supported by the linear-time engine/);
    const lookbehind = new SafeRegex('(?<![\\p{L}])pin\\s*:\\s*\\S{4,}', 'iu');
    expect(lookbehind.match('😀 PIN: 1234, spin: 5678', 20)).toEqual([{ start: 3, end: 13 }]);
  });

  it('scans hostile 100 KB messages with every shipped policy', () => {
    const hostile = [
      'garantiert '.repeat(10_000),
      `${'a'.repeat(100_000)}!`,
      '1 '.repeat(50_000),
      `${'you should '.repeat(9_000)}buy`,
      `${'x@'.repeat(50_000)}`,
      `${'4111 '.repeat(20_000)}`,
    ];
    for (const body of hostile) {
      expect(body.length).toBeGreaterThanOrEqual(99_000);
      const result = policies.scan(agent(body));
      expect(result.errors).toEqual([]);
      for (const finding of result.findings) expect(finding.evidence.length).toBeLessThanOrEqual(20);
    }
  });
});
