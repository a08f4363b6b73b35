/**
 * Line-by-line validation of fine-tuning JSONL, the same rules the gpu-worker applies
 * (gpu-worker/tuneloop_worker/data.py), so a bad upload is refused at the door instead of failing a
 * run later. Errors name the line and the problem, never the text (it may hold PII).
 *
 * chat (OpenAI's chat fine-tuning format):  {"messages": [{"role": "user", "content": "…"}, …]}
 * preference (TRL, for dpo):                {"prompt": [...], "chosen": [...], "rejected": [...]}
 */
import { z } from 'zod';
import type { TrainingFileFormat } from '../../db/schema/index.ts';

const Message = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
  // OpenAI allows a per-message weight (0 or 1) and a name; the worker ignores both.
  weight: z.union([z.literal(0), z.literal(1)]).optional(),
  name: z.string().optional(),
});
const Messages = z.array(Message).min(1);

const ChatRow = z.looseObject({ messages: Messages }).refine((row) => row.messages.some((m) => m.role === 'assistant' && m.content.trim() !== ''), {
  message: 'no assistant message with content: nothing to learn from',
});
const PreferenceRow = z
  .looseObject({ prompt: Messages, chosen: Messages, rejected: Messages })
  .refine((row) => row.chosen.at(-1)?.role === 'assistant' && row.rejected.at(-1)?.role === 'assistant', {
    message: "'chosen' and 'rejected' must end with an assistant message",
  });

export class JsonlError extends Error {
  override name = 'JsonlError';
  constructor(
    readonly line: number,
    why: string,
  ) {
    super(line > 0 ? `line ${line}: ${why}` : why);
  }
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length ? `'${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replaceAll('.[', '[')}' ` : '';
  return `${where}${issue.message}`.trim();
}

/** Checks one file's lines as they stream by; `finish()` returns the counts or throws. */
export class JsonlChecker {
  private format: TrainingFileFormat | null = null;
  private lineNo = 0;
  examples = 0;

  check(line: string): void {
    this.lineNo++;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new JsonlError(this.lineNo, 'not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JsonlError(this.lineNo, 'each line must be a JSON object');
    const format: TrainingFileFormat = 'messages' in value ? 'chat' : 'prompt' in value || 'chosen' in value ? 'preference' : (this.format ?? 'chat');
    if (this.format && format !== this.format) {
      throw new JsonlError(this.lineNo, `expected the ${this.format} format of the lines before it, found ${format}`);
    }
    const result = (format === 'chat' ? ChatRow : PreferenceRow).safeParse(value);
    if (!result.success) {
      const hint = format === 'chat' ? " (expected {\"messages\": [{\"role\": \"user\"|\"assistant\"|\"system\", \"content\": \"…\"}]})" : '';
      throw new JsonlError(this.lineNo, `${describe(result.error)}${hint}`);
    }
    this.format = format;
    this.examples++;
  }

  /** The number of the line being read (for errors about a line not yet complete). */
  get nextLine(): number {
    return this.lineNo + 1;
  }

  finish(): { format: TrainingFileFormat; examples: number } {
    if (!this.format || this.examples === 0) throw new JsonlError(0, 'the file has no examples');
    return { format: this.format, examples: this.examples };
  }
}

/**
 * A line longer than this is refused: a file without newlines must not be held whole as one string
 * (the largest chat example a model trains on is far smaller).
 */
export const MAX_LINE_CHARS = 8 * 1024 * 1024;

/**
 * Splits a byte stream into lines (UTF-8, \n or \r\n) and checks each. Each chunk is searched for
 * newlines once (only the new text, never what is pending from before), so the work is linear in
 * the file's size however its lines are cut into chunks.
 */
export async function checkJsonl(chunks: AsyncIterable<Uint8Array | string>): Promise<{ format: TrainingFileFormat; examples: number }> {
  const checker = new JsonlChecker();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // The start of the current line, in pieces (joined once its newline arrives).
  let pending: string[] = [];
  let pendingChars = 0;
  const take = (text: string) => {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      pending.push(text.slice(start, newline));
      checker.check(pending.join('').replace(/\r$/, ''));
      pending = [];
      pendingChars = 0;
      start = newline + 1;
    }
    const rest = text.slice(start);
    pendingChars += rest.length;
    if (pendingChars > MAX_LINE_CHARS) throw new JsonlError(checker.nextLine, `a line is longer than ${MAX_LINE_CHARS} characters`);
    if (rest) pending.push(rest);
  };
  try {
    for await (const chunk of chunks) take(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    take(decoder.decode());
  } catch (error) {
    if (error instanceof TypeError) throw new JsonlError(0, 'the file is not UTF-8 text');
    throw error;
  }
  if (pending.length) checker.check(pending.join('').replace(/\r$/, ''));
  return checker.finish();
}
