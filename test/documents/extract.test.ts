/**
 * Text extraction on documents the test builds: PDFs page by page, a scanned (image-only) PDF
 * reported as having no text layer, DOCX, HTML, text, and every bad input skipped with its reason.
 */
import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../src/harvest/documents/extract.ts';
import { pageAt, type ExtractionLimits } from '../../src/harvest/documents/types.ts';
import { docx, encryptedPdf, imageOnlyPdf, passwordDocx, textPdf, zipBomb } from '../support/documents.ts';

const limits: ExtractionLimits = { maxBytes: 5 * 1024 * 1024, maxPages: 20, maxUnpackedBytes: 20 * 1024 * 1024 };

describe('document text extraction', () => {
  it('reads a PDF page by page and maps offsets back to pages', async () => {
    const bytes = await textPdf(['Quarterly summary, nothing to see.', 'Your money is 100% refund guaranteed.']);
    const result = await extractDocument({ filename: 'offer.pdf', contentType: 'application/pdf', bytes }, limits);
    if (result.status !== 'text') throw new Error(`expected text, got ${result.status}`);
    expect(result.pages).toHaveLength(2);
    const at = result.text.indexOf('refund guaranteed');
    expect(at).toBeGreaterThan(0);
    expect(pageAt(result.pages, at)).toEqual({ page: 2, pageOffset: at - (result.pages[1]?.start ?? 0) });
    expect(result.text.slice(result.pages[0]?.start, result.pages[0]?.end)).toContain('Quarterly summary');
  });

  it('reports a scanned PDF as having no text layer', async () => {
    const result = await extractDocument({ filename: 'scan.pdf', contentType: 'application/pdf', bytes: await imageOnlyPdf(3) }, limits);
    expect(result.status).toBe('no_text_layer');
    if (result.status === 'no_text_layer') expect(result.pages).toHaveLength(3);
  });

  it('reads DOCX, HTML and plain text', async () => {
    const word = await extractDocument({ filename: 'letter.docx', contentType: null, bytes: await docx(['Dear customer,', 'we guarantee returns of 12% a year.']) }, limits);
    expect(word).toMatchObject({ status: 'text', format: 'docx' });
    if (word.status === 'text') expect(word.text).toContain('we guarantee returns of 12% a year.');
    const html = await extractDocument({ filename: 'page.html', contentType: 'text/html', bytes: new TextEncoder().encode('<p>Hello&nbsp;<b>there</b></p><script>x()</script>') }, limits);
    expect(html).toMatchObject({ status: 'text', format: 'html' });
    if (html.status === 'text') expect(html.text.trim()).toBe('Hello there');
    const text = await extractDocument({ filename: 'notes.txt', contentType: 'text/plain', bytes: new TextEncoder().encode('plain words') }, limits);
    expect(text).toMatchObject({ status: 'text', text: 'plain words', pages: [{ page: 1, start: 0, end: 11 }] });
  });

  it('skips bad input with a reason and never throws', async () => {
    const skip = async (filename: string, bytes: Uint8Array, contentType: string | null = null, own = limits) => {
      const result = await extractDocument({ filename, contentType, bytes }, own);
      return result.status === 'skipped' ? result.reason : result.status;
    };
    expect(await skip('locked.pdf', await encryptedPdf())).toBe('encrypted');
    expect(await skip('locked.docx', passwordDocx())).toBe('encrypted');
    expect(await skip('bomb.docx', zipBomb())).toBe('zip_bomb');
    expect(await skip('huge.txt', new Uint8Array(limits.maxBytes + 1), 'text/plain')).toBe('too_large');
    expect(await skip('long.pdf', await textPdf(['a', 'b', 'c']), null, { ...limits, maxPages: 2 })).toBe('too_many_pages');
    expect(await skip('broken.pdf', new TextEncoder().encode('%PDF-1.7\nnot really a pdf'))).toBe('malformed');
    expect(await skip('broken.docx', new TextEncoder().encode('PK\x03\x04 then garbage'))).toBe('malformed');
    expect(await skip('latin1.txt', new Uint8Array([0x66, 0xe9, 0xff]), 'text/plain')).toBe('malformed');
    expect(await skip('photo.jpg', new Uint8Array([0xff, 0xd8, 0xff]), 'image/jpeg')).toBe('unsupported_type');
  });
});
