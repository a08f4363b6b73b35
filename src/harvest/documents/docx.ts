/**
 * DOCX text with mammoth. A password-protected DOCX is not a zip at all but an OLE compound file
 * holding an encrypted package (MS-OFFCRYPTO), recognised by its signature and skipped; the zip's
 * declared sizes are checked before mammoth inflates anything (zip-guard.ts).
 */
import mammoth from 'mammoth';
import { checkZip } from './zip-guard.ts';
import { isOleFile } from './ole.ts';
import { joinPages, type Extraction, type ExtractionLimits } from './types.ts';

export async function extractDocx(bytes: Uint8Array, limits: ExtractionLimits): Promise<Extraction> {
  if (isOleFile(bytes)) return { status: 'skipped', format: 'docx', reason: 'encrypted', detail: 'the DOCX is password-protected (an encrypted OLE package)' };
  const zip = checkZip(bytes, limits.maxUnpackedBytes);
  if (!zip.ok) return { status: 'skipped', format: 'docx', reason: zip.reason, detail: zip.detail };
  try {
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    // A DOCX has no fixed pages (they depend on the renderer): its text is page 1.
    return { status: 'text', format: 'docx', ...joinPages([value.replace(/\n{3,}/g, '\n\n').trim()]) };
  } catch {
    return { status: 'skipped', format: 'docx', reason: 'malformed', detail: 'mammoth could not read the DOCX' };
  }
}
