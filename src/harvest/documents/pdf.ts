/**
 * PDF text, page by page, with unpdf (a maintained build of Mozilla's pdf.js for servers).
 * Encrypted PDFs that need a password, and files pdf.js cannot read, are skipped with a reason;
 * a PDF whose pages carry no text (scanned images) is reported as such, not as empty text.
 */
import { extractText, getDocumentProxy } from 'unpdf';
import { joinPages, type Extraction, type ExtractionLimits } from './types.ts';

const errorName = (error: unknown) => (error instanceof Error || (typeof error === 'object' && error !== null && 'name' in error) ? String((error as { name: unknown }).name) : '');

export async function extractPdf(bytes: Uint8Array, limits: ExtractionLimits): Promise<Extraction> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js takes ownership of the buffer it is given: hand it a copy.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { stopAtErrors: false, verbosity: 0 });
  } catch (error) {
    if (errorName(error) === 'PasswordException') return { status: 'skipped', format: 'pdf', reason: 'encrypted', detail: 'the PDF is encrypted with a password' };
    return { status: 'skipped', format: 'pdf', reason: 'malformed', detail: `pdf.js could not read it (${errorName(error) || 'error'})` };
  }
  try {
    if (pdf.numPages > limits.maxPages) return { status: 'skipped', format: 'pdf', reason: 'too_many_pages', detail: `${pdf.numPages} pages (limit ${limits.maxPages})` };
    const { text: pageTexts } = await extractText(pdf, { mergePages: false });
    const { text, pages } = joinPages(pageTexts);
    if (!pageTexts.some((page) => page.trim())) return { status: 'no_text_layer', format: 'pdf', text: '', pages };
    return { status: 'text', format: 'pdf', text, pages };
  } catch (error) {
    return { status: 'skipped', format: 'pdf', reason: 'malformed', detail: `pdf.js failed on a page (${errorName(error) || 'error'})` };
  } finally {
    await pdf.cleanup();
  }
}
