/** What text extraction makes of one document; shared by the extractors, the store and the scan. */

/** Why a document was not scanned; counted per reason in the figures. */
export const SKIP_REASONS = ['too_large', 'too_many_pages', 'zip_bomb', 'encrypted', 'malformed', 'unsupported_type'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** One page's place in the extracted text: `text.slice(start, end)`. Formats without pages have one. */
export interface PageSpan {
  page: number;
  start: number;
  end: number;
}

export type Extraction =
  | { status: 'text'; format: DocumentFormat; text: string; pages: PageSpan[] }
  /** A PDF of scanned images: pages, but no text to scan (OCR is not attempted). */
  | { status: 'no_text_layer'; format: DocumentFormat; text: ''; pages: PageSpan[] }
  | { status: 'skipped'; format: DocumentFormat | null; reason: SkipReason; detail: string };

export type DocumentFormat = 'pdf' | 'docx' | 'text' | 'html';

export interface ExtractionLimits {
  maxBytes: number;
  maxPages: number;
  maxUnpackedBytes: number;
}

/** The settings' defaults (DOCUMENT_MAX_*), for attachments stored by a harvest, which has no settings at hand. */
export const DEFAULT_EXTRACTION_LIMITS: ExtractionLimits = { maxBytes: 25 * 1024 * 1024, maxPages: 500, maxUnpackedBytes: 100 * 1024 * 1024 };

/** Pages joined with a blank line between them, with each page's span in the whole. */
export function joinPages(pageTexts: readonly string[]): { text: string; pages: PageSpan[] } {
  const pages: PageSpan[] = [];
  let text = '';
  pageTexts.forEach((pageText, index) => {
    if (index > 0) text += '\n\n';
    pages.push({ page: index + 1, start: text.length, end: text.length + pageText.length });
    text += pageText;
  });
  return { text, pages };
}

/** The page holding character `offset` of the extracted text, with the offset within that page. */
export function pageAt(pages: readonly PageSpan[], offset: number): { page: number; pageOffset: number } | null {
  for (const span of pages) if (offset >= span.start && offset <= span.end) return { page: span.page, pageOffset: offset - span.start };
  return null;
}
