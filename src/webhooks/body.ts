/** Reads a request body as raw bytes, refusing anything over `limit` without buffering it all. */

export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

/** 1 MiB: Zendesk trigger bodies and HubSpot batches (≤ 100 events) are a few KB. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export async function readBoundedBody(request: Request, limit = MAX_WEBHOOK_BYTES): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge(`body is ${declared} bytes; the limit is ${limit}`);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new BodyTooLarge(`body exceeds the limit of ${limit} bytes`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
