import { describe, expect, it } from 'vitest';
import { parseComplianceAnswer, parseTriageAnswer } from '../../src/serving/answers.ts';

describe('triage answers', () => {
  it('reads labels and confidence from a JSON object', () => {
    expect(parseTriageAnswer('{"priority":"high","language":"en"}')).toEqual({ labels: { priority: 'high', language: 'en' }, confidence: null });
    expect(parseTriageAnswer('  {"intent":"refund","region":"emea","confidence":0.8}\n')).toEqual({ labels: { intent: 'refund', region: 'emea' }, confidence: 0.8 });
  });

  it('tolerates a ```json fence and text after the object', () => {
    expect(parseTriageAnswer('```json\n{"priority": "low"}\n```')).toEqual({ labels: { priority: 'low' }, confidence: null });
    expect(parseTriageAnswer('```{"priority": "low"}```')).toEqual({ labels: { priority: 'low' }, confidence: null });
    expect(parseTriageAnswer('{"priority":"urgent","note":"a } in a string"} because the customer is angry')).toEqual({
      labels: { priority: 'urgent', note: 'a } in a string' },
      confidence: null,
    });
  });

  it.each([
    ['empty', ''],
    ['prose', 'The priority is high.'],
    ['prose before the JSON', 'Sure! {"priority":"high"}'],
    ['truncated', '{"priority":"hi'],
    ['broken JSON', '{"priority": high}'],
    ['an array', '["high"]'],
    ['no labels', '{}'],
    ['only a confidence', '{"confidence":0.9}'],
    ['a number label', '{"priority":3}'],
    ['a nested label', '{"priority":{"value":"high"}}'],
    ['an empty label', '{"priority":"  "}'],
    ['confidence out of range', '{"priority":"high","confidence":1.5}'],
    ['confidence as text', '{"priority":"high","confidence":"high"}'],
  ])('%s is no prediction (null), never a label', (_name, text) => {
    expect(parseTriageAnswer(text)).toBeNull();
  });
});

describe('compliance answers', () => {
  it('reads a verdict, and anything else is null', () => {
    expect(parseComplianceAnswer('{"violation":true,"policy":"no-card-numbers","confidence":0.9}')).toEqual({ violation: true, policy: 'no-card-numbers', confidence: 0.9 });
    expect(parseComplianceAnswer('```json\n{"violation":false}\n```')).toEqual({ violation: false, policy: null, confidence: null });
    expect(parseComplianceAnswer('{"violation":"yes"}')).toBeNull();
    expect(parseComplianceAnswer('no violation')).toBeNull();
  });
});
