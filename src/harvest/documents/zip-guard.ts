/**
 * Zip bombs, refused before anything is inflated: a DOCX is a zip, and mammoth (through JSZip)
 * inflates every part in memory. The central directory declares each entry's unpacked size, so
 * the total and the packing ratio are known from a few bytes at the end of the file.
 * https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.12 central directory, 4.3.16 EOCD)
 */

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
/** Packed-to-unpacked ratios above this are not office documents (XML packs ~10×). */
export const MAX_RATIO = 100;

export type ZipCheck = { ok: true; unpacked: number } | { ok: false; reason: 'zip_bomb' | 'malformed'; detail: string };

/** Reads the central directory of `bytes` (a whole zip file) and totals the declared sizes. */
export function checkZip(bytes: Uint8Array, maxUnpacked: number): ZipCheck {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The EOCD record is 22 bytes plus a comment of up to 65535 bytes, at the very end.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65_535); at--) {
    if (view.getUint32(at, true) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return { ok: false, reason: 'malformed', detail: 'not a zip file (no end of central directory)' };
  const entries = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  let unpacked = 0;
  for (let index = 0; index < entries; index++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) return { ok: false, reason: 'malformed', detail: 'broken zip central directory' };
    const packedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    // 0xFFFFFFFF defers to a zip64 record: more than 4 GiB claimed, no document needs that.
    if (size === 0xffffffff || packedSize === 0xffffffff) return { ok: false, reason: 'zip_bomb', detail: 'zip64 entry (over 4 GiB declared)' };
    unpacked += size;
    if (unpacked > maxUnpacked) return { ok: false, reason: 'zip_bomb', detail: `unpacks to more than ${maxUnpacked} bytes` };
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  if (unpacked > MAX_RATIO * Math.max(bytes.length, 1) && unpacked > 1024 * 1024) return { ok: false, reason: 'zip_bomb', detail: `unpacks ${Math.round(unpacked / bytes.length)}× its size` };
  return { ok: true, unpacked };
}
