/**
 * PostgreSQL's text and jsonb cannot hold U+0000, and outside JSON can carry it (a pasted binary,
 * a broken mail client, a hostile webhook). Vendor data has it dropped before it is stored
 * (`withoutNul`), so one such message cannot stop a harvest or fail a webhook's group commit; our
 * own API refuses it with a 400 (`containsNul`), since a caller can fix its request.
 */

/** true when any string in `value` (keys included) holds U+0000. */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.entries(value).some(([key, item]) => key.includes('\u0000') || containsNul(item));
  }
  return false;
}

/** `value` with U+0000 dropped from every string; values without one are returned as they are (no copy). */
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
      // jsonb refuses it in keys too.
      const cleanKey = withoutNul(key);
      if (cleaned !== item || cleanKey !== key) changed = true;
      return [cleanKey, cleaned] as const;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}
