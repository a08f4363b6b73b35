/**
 * The input file of a batch, as OpenAI's Batch API defines it: JSON lines of
 * `{custom_id, method: "POST", url: "/v1/chat/completions" | "/v1/completions", body}`, with
 * unique custom ids and one url for the whole file. Checked at upload and again when the batch
 * starts; each problem names its line.
 */
import { z } from 'zod';

export const MAX_BATCH_LINES = 50_000;
export const MAX_BATCH_FILE_BYTES = 100 * 1024 * 1024;
export const BATCH_URLS = ['/v1/chat/completions', '/v1/completions'] as const;

const BatchLine = z.strictObject({
  custom_id: z.string().min(1).max(512),
  method: z.literal('POST'),
  url: z.enum(BATCH_URLS),
  body: z.record(z.string(), z.unknown()),
});
export type BatchLine = z.infer<typeof BatchLine>;

export class BatchInputError extends Error {
  override name = 'BatchInputError';
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message);
  }
}

/** The file's lines (blank ones skipped), or a BatchInputError for the first bad one. */
export function parseBatchInput(text: string, expectedUrl?: string): BatchLine[] {
  const lines: BatchLine[] = [];
  const seen = new Set<string>();
  let number = 0;
  for (const raw of text.split('\n')) {
    number++;
    if (!raw.trim()) continue;
    if (lines.length >= MAX_BATCH_LINES) throw new BatchInputError(`a batch holds at most ${MAX_BATCH_LINES} requests`, number);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new BatchInputError(`line ${number} is not valid JSON`, number);
    }
    const parsed = BatchLine.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BatchInputError(`line ${number}: ${issue?.path.join('.') || 'line'}: ${issue?.message ?? 'invalid'}`, number);
    }
    if (seen.has(parsed.data.custom_id)) throw new BatchInputError(`line ${number}: custom_id "${parsed.data.custom_id}" is used twice; each request needs its own`, number);
    if (expectedUrl && parsed.data.url !== expectedUrl) throw new BatchInputError(`line ${number}: url ${parsed.data.url} differs from the batch's endpoint ${expectedUrl}`, number);
    seen.add(parsed.data.custom_id);
    lines.push(parsed.data);
  }
  if (!lines.length) throw new BatchInputError('the file holds no requests', null);
  return lines;
}
