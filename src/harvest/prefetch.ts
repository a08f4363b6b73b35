/**
 * Reads one batch ahead: while a batch is being stored, the connector already fetches the next, so
 * vendor latency and database writes overlap. Vendor calls stay sequential (one request at a time).
 */
export async function* prefetchOne<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  // Handled later by the await below; without this, a failure during a store would be "unhandled".
  pending.catch(() => undefined);
  try {
    for (;;) {
      const result = await pending;
      if (result.done) return;
      pending = iterator.next();
      pending.catch(() => undefined);
      yield result.value;
    }
  } finally {
    // The consumer stopped early (cancel, error): let the connector clean up.
    await iterator.return?.(undefined)?.catch(() => undefined);
  }
}
