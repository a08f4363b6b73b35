/**
 * chrF against sacrebleu 2.6 (`CHRF(lowercase=True).sentence_score(h, [r]).score / 100`, computed
 * in the gpu-worker's environment): the same character 6-grams, averaged precision/recall, beta 2.
 */
import { describe, expect, it } from 'vitest';
import { chrF } from '../../src/serving/feedback/similarity.ts';

describe('chrF', () => {
  it.each([
    ['Hello Ann, I have refunded order 123.', 'Hi Ann, order 123 has been refunded. Kind regards', 0.3758385347137678],
    ['The parcel left our warehouse today.', 'Your parcel left the warehouse this morning.', 0.5053058679590167],
    ['Thanks!', 'thanks', 0.9325876662636035],
    ['abc', 'xyz', 0],
  ])('chrF(%j, %j) = %f as in sacrebleu', (hypothesis, reference, expected) => {
    expect(chrF(hypothesis, reference)).toBeCloseTo(expected, 12);
  });

  it('is 1 for the same text (whitespace and case aside) and 0 against an empty one', () => {
    expect(chrF('We refunded  your order.', 'we refunded your\norder.')).toBe(1);
    expect(chrF('', 'something')).toBe(0);
    expect(chrF('something', '')).toBe(0);
    expect(chrF('', '')).toBe(1);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(chrF('Grüße 👋', 'grüße 👋')).toBe(1);
    expect(chrF('👋👋', '👋')).toBeGreaterThan(0);
  });
});
