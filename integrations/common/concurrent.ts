/**
 * Bounded concurrency for vendor reads that have no batch endpoint (one read per record): at most
 * `limit` calls at once, results in the items' order. A limit given as a function is asked before
 * each call, so a client can fall back to one call at a time (after a 429, say) mid-way. After the
 * first failure no new call starts; the ones in flight are waited for (so none outlives the harvest
 * step), then the first failure is thrown, as a sequential loop would have thrown it.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number | (() => number), fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  const limitNow = () => Math.max(1, typeof limit === 'number' ? limit : limit());
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (id: number) => {
    while (failure === null && next < items.length && id < limitNow()) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limitNow(), items.length) }, (_, id) => worker(id)));
  if (failure) throw (failure as { error: unknown }).error;
  return results;
}
