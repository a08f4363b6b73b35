/**
 * Vendor HTML (email bodies, rich-text chat messages, CRM notes) to plain text for training, with
 * the `html-to-text` package: block elements become line breaks, list items "- " lines, entities
 * are decoded, scripts, styles and the head are dropped; no word wrapping, links without their
 * URL, no images, headings and table headers keep their case. Shared by connectors.
 */
import { compile, type HtmlToTextOptions } from 'html-to-text';

const headings = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } }));

const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'ul', options: { itemPrefix: '- ' } },
    ...headings,
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
};

// Compiled once: `convert` compiles its options on every call, 30 times slower on short comments.
const convert = compile(OPTIONS);

/**
 * The common case without the HTML parser: bodies made only of p, div, br and span tags with the
 * five XML entities and &nbsp; (what help desks' editors write for plain messages). Gives exactly
 * what `convert` gives for those (test/integrations/html-to-text.test.ts compares the two on
 * generated bodies), at a fraction of the cost; anything else returns null and goes to `convert`.
 */
const SIMPLE_TAG = /<(\/?)(p|div|br|span)(?:\s[^<>]*)?\/?>/gi;
const ENTITY = /&(amp|lt|gt|quot|#39|nbsp);/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: '\u00a0' };

function simpleConvert(html: string): string | null {
  let out = '';
  // Line breaks owed by the blocks around: adjacent blocks share theirs (the larger wins).
  let pending = 0;
  const flush = () => {
    if (pending > 0 && out !== '') out += '\n'.repeat(pending);
    pending = 0;
  };
  const text = (raw: string): boolean => {
    if (raw === '') return true;
    if (raw.includes('<') || raw.includes('>')) return false;
    const stripped = raw.replace(ENTITY, '');
    if (stripped.includes('&')) return false;
    const decoded = raw.replace(ENTITY, (_, name: string) => ENTITIES[name] ?? '').replace(/[ \t\n\r\f]+/g, ' ');
    if (decoded === ' ') {
      if (pending === 0) out += ' ';
      return true;
    }
    flush();
    out += decoded;
    return true;
  };
  let last = 0;
  // A <br> next to a block's edge merges with the block's breaks in ways the parser alone knows.
  let afterBreak = false;
  const open: Array<{ name: string; filled: boolean }> = [];
  for (const match of html.matchAll(SIMPLE_TAG)) {
    const between = html.slice(last, match.index);
    if (!text(between)) return null;
    if (between.trim() !== '') {
      afterBreak = false;
      for (const tag of open) tag.filled = true;
    }
    last = match.index + match[0].length;
    const name = (match[2] ?? '').toLowerCase();
    if (name === 'br') {
      if (pending > 0) return null;
      out += '\n';
      afterBreak = true;
      continue;
    }
    // Only well-nested markup: the parser closes an open <p> at a block, unclosed tags and the like.
    const closing = match[1] === '/';
    if (!closing && match[0].endsWith('/>')) return null;
    if (closing) {
      const top = open.pop();
      // An empty block's breaks add up in the parser instead of merging.
      if (top?.name !== name || (name !== 'span' && !top.filled)) return null;
    } else {
      if (open.some((tag) => tag.name === 'p') && name !== 'span') return null;
      open.push({ name, filled: false });
    }
    if (name === 'p' || name === 'div') {
      if (afterBreak) return null;
      pending = Math.max(pending, name === 'p' ? 2 : 1);
    }
  }
  if (open.length > 0) return null;
  if (!text(html.slice(last))) return null;
  return out;
}

export function htmlToText(html: string): string {
  return tidy(simpleConvert(html) ?? convert(html));
}

/** The same through the HTML parser every time: what the fast path must agree with (tests). */
export function htmlToTextParsed(html: string): string {
  return tidy(convert(html));
}

function tidy(text: string): string {
  return text
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Plain text to the HTML a rich-text editor would store: paragraphs, lines joined by <br>. */
export function textToHtml(text: string): string {
  const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escape(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('');
}
