/**
 * DOCX text with mammoth. A password-protected DOCX is not a zip at all but an OLE compound file
 * holding an encrypted package (MS-OFFCRYPTO), recognised by its signature and skipped; the zip's
 * declared sizes are checked before mammoth inflates anything (zip-guard.ts).
 */
import mammoth from 'mammoth';
import { checkZip } from './zip-guard.ts';
import { joinPages, type Extraction, type ExtractionLimits } from './types.ts';

/** D0 CF 11 E0 A1 B1 1A E1: an OLE2 compound file (https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cfb/). */
export const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

export const isOleFile = (bytes: Uint8Array) => OLE_SIGNATURE.every((byte, index) => bytes[index] === byte);

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
