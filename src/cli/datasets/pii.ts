/**
 * `tuneloop pii scrub [--lang de|en|auto] [--spans]`: the curation scrubber as a filter. Reads JSON
 * lines `{"text": "…"}` on stdin and writes one line `{"text": "<scrubbed>"}` per input line
 * (with `--spans`, also `"spans": [{"type", "start", "end"}]`, offsets into the input text). Each
 * line is scrubbed on its own, as a one-message conversation, by the same `Scrubber` as curation.
 *
 * Blank lines are skipped. A line that is not a JSON object with a string `text` stops the
 * command: what came before it is written, the error names the line number, exit code 2.
 * `--lang` is checked but changes nothing today: the name model covers German and English in
 * one, and the other detectors do not depend on the language.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { z } from 'zod';
import { Scrubber } from '../../datasets/pii/index.ts';
import { NerModelError } from '../../datasets/pii/ner/model.ts';
import { fail } from '../context.ts';

const LineSchema = z.object({ text: z.string() });
const LANGS = ['de', 'en', 'auto'];

/** Writes to stdout and waits until it is handed to the OS (so an exit right after loses nothing). */
function write(chunk: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(chunk, (error) => (error ? reject(error) : resolve())));
}

/** The line's text, or why the line is not acceptable. */
function parseLine(raw: string): { text: string } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { error: 'not valid JSON' };
  }
  const line = LineSchema.safeParse(parsed);
  return line.success ? { text: line.data.text } : { error: 'expected a JSON object with a string "text"' };
}

export function registerPiiCommands(program: Command) {
  const pii = program.command('pii').description('the PII scrubber on its own');

  pii
    .command('scrub')
    .description('scrub JSON lines {"text": …} from stdin to stdout, one output line per input line')
    .option('--lang <lang>', 'de, en or auto (one model covers both; checked only)', 'auto')
    .option('--spans', 'also print what was replaced: [{"type","start","end"}], offsets into the input text')
    .action(async (options: { lang: string; spans?: boolean }) => {
      if (!LANGS.includes(options.lang)) fail(`--lang must be one of ${LANGS.join(', ')}, got "${options.lang}"`, 2);
      let scrubber: Scrubber;
      try {
        scrubber = new Scrubber();
        scrubber.detect('Hallo Anna'); // loads the name model now, so a broken one stops before any output
      } catch (error) {
        if (error instanceof NerModelError) fail(error.message);
        throw error;
      }
      const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      let n = 0;
      let out = '';
      for await (const raw of lines) {
        n++;
        if (raw.trim() === '') continue;
        const parsed = parseLine(raw);
        if ('error' in parsed) {
          await write(out);
          lines.close();
          fail(`pii scrub: line ${n}: ${parsed.error}`, 2);
        }
        const result = scrubber.scrubText(parsed.text);
        const line = options.spans
          ? { text: result.text, spans: result.spans.map(({ type, start, end }) => ({ type, start, end })) }
          : { text: result.text };
        out += `${JSON.stringify(line)}\n`;
        if (out.length > 64 * 1024) {
          await write(out);
          out = '';
        }
      }
      await write(out);
    });
}
