/**
 * PostgreSQL's text and jsonb cannot hold U+0000, and vendors' JSON can carry it (a pasted binary,
 * a broken mail client). It is dropped from every string of a conversation before it is stored, so
 * one such message cannot stop a connection's harvest for good. Values without one are returned as
 * they are (no copy).
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replaceAll('\u0000', '') : value) as T;
  if (Array.isArray(value)) {
    const cleaned = value.map(withoutNul);
    return (cleaned.some((item, index) => item !== value[index]) ? cleaned : value) as T;
  }
  // Bytes (attachments) are not text: left as they are, and not walked byte by byte.
  if (ArrayBuffer.isView(value)) return value;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const cleaned = withoutNul(item);
      if (cleaned !== item) changed = true;
      return [key, cleaned] as const;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}
