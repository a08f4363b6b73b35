/**
 * Lets a harvest get ahead of the hub: while the hub stores one batch, the connector already
 * prepares the next ones, up to `depth` batches. The connector's generator still runs one step at
 * a time (an async generator queues the calls to next()), so its vendor calls stay sequential, one
 * request at a time; what overlaps is the vendor's answer time with the database's. A failure
 * surfaces when its batch is reached, after every batch before it; once `signal` aborts, no batch
 * prepared ahead is handed out.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth: number, signal?: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const pending: Array<Promise<IteratorResult<T>>> = [];
  const request = () => {
    const next = iterator.next();
    // Seen when its turn comes (the await below); until then it must not count as unhandled.
    next.catch(() => undefined);
    pending.push(next);
  };
  try {
    for (let i = 0; i < Math.max(1, depth); i++) request();
    for (;;) {
      const result = await pending.shift()!;
      signal?.throwIfAborted();
      if (result.done) return;
      request();
      yield result.value;
    }
  } finally {
    await iterator.return?.(undefined)?.catch(() => undefined);
  }
}
