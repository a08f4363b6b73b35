/**
 * htmlToText's fast path (p, div, br, span and simple entities, no HTML parser) against the
 * html-to-text parser on the same bodies: generated from every piece the fast path accepts, the
 * help desks' own comment HTML, and bodies it must leave to the parser.
 */
import { describe, expect, it } from 'vitest';
import { htmlToText, htmlToTextParsed } from '../../integrations/common/html-to-text.ts';
import { renderCommentHtml } from '../../integrations/zendesk/sandbox/json.ts';
import { generateSupportThreads } from '../../integrations/sandbox-kit/data.ts';

/** A small deterministic generator (mulberry32), so a failure names a reproducible body. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '<p>', '</p>', '<div>', '</div>', '<div class="zd-comment" dir="auto">', '<br>', '<br/>', '<br />', '<span>', '</span>', '<P>', '<BR>',
  'word', 'Hello', 'a', ' ', '  ', '\n', '\n\n', '\t', '&amp;', '&lt;', '&gt;', '&quot;', '&#39;', '&nbsp;', '\u00a0', 'x&nbsp;y', '-', '.', 'ü', '✓',
];

describe('htmlToText fast path', () => {
  it('gives exactly what the parser gives on 20,000 generated bodies', () => {
    const next = random(22);
    for (let n = 0; n < 20_000; n++) {
      const length = 1 + Math.floor(next() * 14);
      let html = '';
      for (let i = 0; i < length; i++) html += PIECES[Math.floor(next() * PIECES.length)];
      expect(htmlToText(html), JSON.stringify(html)).toBe(htmlToTextParsed(html));
    }
  });

  it('gives exactly what the parser gives on the Zendesk sandbox\'s comment HTML', () => {
    for (const thread of generateSupportThreads({ seed: 5, count: 300 })) {
      for (const turn of thread.turns) {
        const html = renderCommentHtml(turn.body);
        expect(htmlToText(html), JSON.stringify(html)).toBe(htmlToTextParsed(html));
      }
    }
  });

  it('leaves other markup to the parser', () => {
    for (const html of ['<ul><li>one</li><li>two</li></ul>', '<p>a &copy; b</p>', '<p>a & b</p>', '<a href="x">link</a>', '<p title="a>b">x</p>', '<h1>Title</h1><p>x</p>', '<!-- c --><p>x</p>', '<table><tr><td>1</td></tr></table>', '<script>x</script><p>y</p>']) {
      expect(htmlToText(html), html).toBe(htmlToTextParsed(html));
    }
    expect(htmlToText('<ul><li>one</li><li>two</li></ul>')).toBe('- one\n- two');
  });
});
