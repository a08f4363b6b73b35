/**
 * What every connector shares about downloading attachments for the compliance scan
 * (Message.files): which files are worth fetching (types whose text the hub extracts, at most the
 * hub's default DOCUMENT_MAX_BYTES) and reading a download without holding more than that.
 * Images (screenshots) and other types are never downloaded, so a harvest spends no requests on them.
 */

const DOCUMENT_TYPES = new Set(['application/pdf', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'text/plain', 'text/html', 'text/csv']);
const DOCUMENT_NAMES = /\.(pdf|docx|txt|html?|csv)$/i;
/** The hub's default DOCUMENT_MAX_BYTES: larger attachments are not downloaded. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

const baseType = (contentType: string | null | undefined) => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * A file the hub can extract text from, by its content type (or, where the vendor gives none or
 * only `application/octet-stream`, by its name), not larger than the limit where the size is known.
 */
export function isDocumentFile(file: { contentType?: string | null | undefined; name?: string | null | undefined; size?: number | null | undefined }): boolean {
  if ((file.size ?? 0) > MAX_ATTACHMENT_BYTES) return false;
  const type = baseType(file.contentType);
  if (DOCUMENT_TYPES.has(type)) return true;
  return (type === '' || type === 'application/octet-stream' || type === 'binary/octet-stream') && DOCUMENT_NAMES.test(file.name ?? '');
}

/** A download's bytes, or null when it is larger than `maxBytes` (by its Content-Length, or once read). */
export async function boundedBytes(response: Response, maxBytes: number): Promise<Uint8Array | null> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > maxBytes) {
    await response.body?.cancel();
    return null;
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  return bytes.byteLength > maxBytes ? null : bytes;
}
