/**
 * One document's text, whatever it is: PDF (per page), DOCX, HTML or plain text. The format is
 * told by the file's first bytes where it has a signature, else by its content type or name.
 * Nothing here throws on bad input: every failure is a skipped Extraction with a reason.
 */
import { htmlToText } from '../../../integrations/registry.ts';
import { isOleFile } from './ole.ts';
import { joinPages, type DocumentFormat, type Extraction, type ExtractionLimits } from './types.ts';

export interface DocumentInput {
  filename: string;
  contentType: string | null;
  bytes: Uint8Array;
}

const startsWith = (bytes: Uint8Array, text: string) => [...text].every((char, index) => bytes[index] === char.charCodeAt(0));

export function formatOf(input: DocumentInput): DocumentFormat | null {
  const type = (input.contentType ?? '').toLowerCase().split(';')[0]?.trim() ?? '';
  const name = input.filename.toLowerCase();
  if (startsWith(input.bytes, '%PDF-') || type === 'application/pdf') return 'pdf';
  const docxByName = name.endsWith('.docx') || type === 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  if (docxByName && (startsWith(input.bytes, 'PK\x03\x04') || isOleFile(input.bytes))) return 'docx';
  if (type === 'text/html' || /\.x?html?$/.test(name)) return 'html';
  if (type.startsWith('text/') || /\.(txt|text|csv|md|log)$/.test(name)) return 'text';
  return null;
}

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

export async function extractDocument(input: DocumentInput, limits: ExtractionLimits): Promise<Extraction> {
  const format = formatOf(input);
  if (input.bytes.byteLength > limits.maxBytes) return { status: 'skipped', format, reason: 'too_large', detail: `${input.bytes.byteLength} bytes (limit ${limits.maxBytes})` };
  if (!format) return { status: 'skipped', format: null, reason: 'unsupported_type', detail: `no text extractor for ${input.contentType ?? 'this file type'}` };
  // pdf.js and mammoth are large: loaded on the first document, not with every CLI command.
  if (format === 'pdf') return (await import('./pdf.ts')).extractPdf(input.bytes, limits);
  if (format === 'docx') return (await import('./docx.ts')).extractDocx(input.bytes, limits);
  const decoded = decodeUtf8(input.bytes);
  if (decoded === null) return { status: 'skipped', format, reason: 'malformed', detail: 'not valid UTF-8 text' };
  const text = format === 'html' ? htmlToText(decoded) : decoded.replaceAll('\0', '');
  return { status: 'text', format, ...joinPages([text]) };
}
