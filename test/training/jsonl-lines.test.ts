/**
 * The fine-tuning file check reads a stream line by line: a file without newlines is refused once
 * its first line passes MAX_LINE_CHARS (it used to be rescanned whole for every chunk, quadratic
 * CPU on the event loop), and lines cut anywhere between chunks still parse.
 */
import { describe, expect, it } from 'vitest';
import { checkJsonl, JsonlError, MAX_LINE_CHARS } from '../../src/training/files/jsonl-check.ts';

async function* chunked(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function* endless(chunk: Uint8Array, count: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < count; i++) yield chunk;
}

const line = (user: string, assistant: string) => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] });

describe('JSONL line check', () => {
  it('refuses a line longer than MAX_LINE_CHARS, without reading the rest', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const chunks = Math.ceil(MAX_LINE_CHARS / chunk.length) + 1;
    let read = 0;
    async function* counted() {
      for await (const piece of endless(chunk, chunks * 4)) {
        read++;
        yield piece;
      }
    }
    const error = await checkJsonl(counted()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JsonlError);
    expect((error as JsonlError).message).toBe(`line 1: a line is longer than ${MAX_LINE_CHARS} characters`);
    expect(read).toBe(chunks);
  });

  it('checks lines cut anywhere between chunks, multi-byte characters and \\r\\n included', async () => {
    const text = [line('Grüße 👋', 'Hallo!'), line('ça va ?', 'oui'), line('x'.repeat(10_000), 'y')].join('\r\n') + '\n';
    for (const size of [1, 3, 7, 4096]) expect(await checkJsonl(chunked(text, size))).toEqual({ format: 'chat', examples: 3 });
  });

  it('names the line of a bad row that was split over chunks', async () => {
    const text = `${line('a', 'b')}\n{"messages": [oops]}\n`;
    await expect(checkJsonl(chunked(text, 5))).rejects.toThrow(/^line 2: not valid JSON/);
  });
});
