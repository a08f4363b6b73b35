/**
 * Parses and validates an upload of curated examples, every row with zod. A file with any bad row
 * is rejected whole: the caller gets every problem (up to a limit) with its line number, and
 * nothing is written.
 * JSONL: one {"messages":[{"role","content","weight"?}...], "split"?} per line (OpenAI chat format).
 * CSV: a header with `user` and `assistant` (and optionally `system`, `split`); one turn per row.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { Task } from '../config.ts';
import { SPLITS, type ChatMessage, type Split } from '../types.ts';

export type UploadFormat = 'jsonl' | 'csv';

export const UPLOAD_LIMITS = { rows: 200_000, problems: 50, contentChars: 100_000 };

const Message = z
  .object({
    role: z.enum(['system', 'user', 'assistant']),
    content: z
      .string()
      .trim()
      .min(1, 'content must not be empty')
      .max(UPLOAD_LIMITS.contentChars)
      // PostgreSQL text cannot hold it; the row is refused rather than silently changed.
      .refine((text) => !text.includes('\u0000'), 'content must not contain the NUL character (U+0000)'),
    weight: z.union([z.literal(0), z.literal(1)]).optional(),
  })
  .strict();

const Row = z
  .object({
    messages: z.array(Message).min(2, 'needs at least a user and an assistant message').max(500),
    split: z.enum(SPLITS).optional(),
  })
  .strict()
  .superRefine((row, ctx) => {
    if (row.messages.at(-1)?.role !== 'assistant') ctx.addIssue({ code: 'custom', path: ['messages'], message: 'the last message must be the assistant target' });
    if (!row.messages.some((m) => m.role === 'user')) ctx.addIssue({ code: 'custom', path: ['messages'], message: 'needs a user message' });
    row.messages.forEach((m, i) => {
      if (m.weight !== undefined && m.role !== 'assistant') ctx.addIssue({ code: 'custom', path: ['messages', i, 'weight'], message: 'only assistant messages have a weight' });
    });
  });

const TriageTarget = z.record(z.string(), z.string().min(1));

export interface UploadRow {
  line: number;
  messages: ChatMessage[];
  split?: Split;
}

export interface UploadProblem {
  line: number;
  message: string;
}

export class UploadValidationError extends Error {
  override name = 'UploadValidationError';
  constructor(
    readonly problems: UploadProblem[],
    readonly total: number,
  ) {
    super(`${total} problem(s) in the upload; nothing was stored. ${problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}${total > problems.length ? '; …' : ''}`);
  }
}

function validateRow(task: Task, line: number, value: unknown, problems: UploadProblem[]): UploadRow | null {
  const result = Row.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push({ line, message: `${issue.path.join('.') || 'row'}: ${issue.message}` });
    return null;
  }
  if (task === 'triage') {
    let labels: unknown;
    try {
      labels = JSON.parse(result.data.messages.at(-1)?.content ?? '');
    } catch {
      labels = null;
    }
    if (!TriageTarget.safeParse(labels).success) {
      problems.push({ line, message: 'triage: the assistant message must be a JSON object of string labels, e.g. {"intent":"refund"}' });
      return null;
    }
  }
  return { line, messages: result.data.messages, ...(result.data.split ? { split: result.data.split } : {}) };
}

function jsonlRows(content: string): Array<{ line: number; value: unknown; error?: string }> {
  const out: Array<{ line: number; value: unknown; error?: string }> = [];
  content.split(/\r?\n/).forEach((text, index) => {
    if (text.trim() === '') return;
    try {
      out.push({ line: index + 1, value: JSON.parse(text) as unknown });
    } catch {
      out.push({ line: index + 1, value: null, error: 'not valid JSON' });
    }
  });
  return out;
}

const CSV_COLUMNS = ['system', 'user', 'assistant', 'split'];

function csvRows(content: string): Array<{ line: number; value: unknown; error?: string }> {
  let records: Array<{ record: Record<string, string | undefined>; info: { lines: number; empty_lines: number } }>;
  try {
    records = parse(content, { columns: true, info: true, skip_empty_lines: true, relax_column_count: true, bom: true, trim: false });
  } catch (error) {
    if (error instanceof CsvError) return [{ line: Number((error as CsvError & { lines?: number }).lines ?? 1), value: null, error: `CSV: ${error.message}` }];
    throw error;
  }
  const header = records[0] ? Object.keys(records[0].record) : [];
  const unknown = header.filter((c) => !CSV_COLUMNS.includes(c));
  if (records.length && (unknown.length || !header.includes('user') || !header.includes('assistant'))) {
    return [{ line: 1, value: null, error: `CSV header must have the columns user and assistant (optional: system, split)${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}` }];
  }
  let previousEnd = 1;
  let previousEmpty = 0;
  return records.map(({ record, info }) => {
    const line = previousEnd + 1 + (info.empty_lines - previousEmpty);
    previousEnd = info.lines;
    previousEmpty = info.empty_lines;
    const messages = [
      ...(record.system?.trim() ? [{ role: 'system', content: record.system }] : []),
      { role: 'user', content: record.user ?? '' },
      { role: 'assistant', content: record.assistant ?? '' },
    ];
    return { line, value: { messages, ...(record.split ? { split: record.split } : {}) } };
  });
}

/** Every row, validated; throws UploadValidationError listing the problems when any row is bad. */
export function parseUpload(task: Task, format: UploadFormat, content: string): UploadRow[] {
  const raw = format === 'jsonl' ? jsonlRows(content) : csvRows(content);
  const problems: UploadProblem[] = [];
  if (raw.length === 0) problems.push({ line: 1, message: 'the file has no rows' });
  if (raw.length > UPLOAD_LIMITS.rows) problems.push({ line: UPLOAD_LIMITS.rows + 1, message: `more than ${UPLOAD_LIMITS.rows} rows; split the file` });
  const rows: UploadRow[] = [];
  for (const entry of raw.slice(0, UPLOAD_LIMITS.rows)) {
    if (entry.error) problems.push({ line: entry.line, message: entry.error });
    else {
      const row = validateRow(task, entry.line, entry.value, problems);
      if (row) rows.push(row);
    }
  }
  if (problems.length) throw new UploadValidationError(problems.slice(0, UPLOAD_LIMITS.problems), problems.length);
  return rows;
}
