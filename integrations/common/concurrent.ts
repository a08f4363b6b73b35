/**
 * Bounded concurrency for vendor reads that have no batch endpoint (one read per record): at most
 * `limit` calls at once, results in the items' order. After the first failure no new call starts;
 * the ones in flight are waited for (so none outlives the harvest step), then the first failure is
 * thrown, as a sequential loop would have thrown it.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
  return results;
}
