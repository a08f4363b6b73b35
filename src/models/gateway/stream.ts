/**
 * Relays a model server's server-sent events to the caller, one event at a time as they arrive:
 * each chunk is rewritten by `transform` (e.g. the model name the caller used), the answer's text
 * and usage are tallied for the usage row, and `[DONE]` ends it as OpenAI's streams end. When the
 * caller goes away the upstream request is cancelled, so the model stops generating for nobody.
 */
export interface StreamTally {
  text: string;
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface RelayOptions {
  /** The chunk to send for an upstream chunk, or null to drop it. */
  transform: (chunk: Record<string, unknown>) => unknown;
  /** Extra events after the last chunk (before `[DONE]`). */
  finalEvents?: (tally: StreamTally) => unknown[];
  /** Called once: `completed` false when the caller left or the upstream broke off. */
  onEnd: (tally: StreamTally, completed: boolean) => void;
  /** Cancels the upstream request. */
  cancelUpstream: () => void;
}

const encoder = new TextEncoder();
const event = (data: unknown) => encoder.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);

function deltaText(chunk: Record<string, unknown>): string {
  const choice = Array.isArray(chunk.choices) ? (chunk.choices[0] as Record<string, unknown> | undefined) : undefined;
  if (!choice) return '';
  const delta = choice.delta as { content?: unknown } | undefined;
  if (typeof delta?.content === 'string') return delta.content;
  return typeof choice.text === 'string' ? choice.text : '';
}

export function relayEvents(upstream: ReadableStream<Uint8Array>, options: RelayOptions): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const decoder = new TextDecoder();
  const tally: StreamTally = { text: '', promptTokens: null, completionTokens: null };
  let buffer = '';
  let ended = false;
  const end = (completed: boolean) => {
    if (ended) return;
    ended = true;
    options.onEnd(tally, completed);
  };

  /** The complete events in the buffer, as their data payloads. */
  function takeEvents(): string[] {
    const payloads: string[] = [];
    let boundary: RegExpExecArray | null;
    const separator = /\r?\n\r?\n/g;
    let consumed = 0;
    while ((boundary = separator.exec(buffer))) {
      const block = buffer.slice(consumed, boundary.index);
      consumed = boundary.index + boundary[0].length;
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data) payloads.push(data);
    }
    buffer = buffer.slice(consumed);
    return payloads;
  }

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            for (const extra of options.finalEvents?.(tally) ?? []) controller.enqueue(event(extra));
            controller.enqueue(event('[DONE]'));
            controller.close();
            end(true);
            return;
          }
          buffer += decoder.decode(value, { stream: true });
          let sent = false;
          for (const payload of takeEvents()) {
            if (payload === '[DONE]') continue; // sent once, at the end
            let chunk: Record<string, unknown>;
            try {
              chunk = JSON.parse(payload) as Record<string, unknown>;
            } catch {
              continue; // a keep-alive or a broken line: nothing to relay
            }
            const usage = chunk.usage as { prompt_tokens?: number; completion_tokens?: number } | null | undefined;
            if (usage && typeof usage.prompt_tokens === 'number') tally.promptTokens = usage.prompt_tokens;
            if (usage && typeof usage.completion_tokens === 'number') tally.completionTokens = usage.completion_tokens;
            tally.text += deltaText(chunk);
            const out = options.transform(chunk);
            if (out !== null && out !== undefined) {
              controller.enqueue(event(out));
              sent = true;
            }
          }
          if (sent) return;
        }
      } catch {
        // The model server broke off mid-answer: say so in the stream, as OpenAI does, and stop.
        controller.enqueue(event({ error: { message: 'the model server stopped answering mid-stream', type: 'server_error', param: null, code: 'upstream_error' } }));
        controller.close();
        end(false);
      }
    },
    async cancel() {
      options.cancelUpstream();
      await reader.cancel().catch(() => undefined);
      end(false);
    },
  });
}
