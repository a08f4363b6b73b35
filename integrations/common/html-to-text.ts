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

export function htmlToText(html: string): string {
  return convert(html)
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
