/**
 * The hub's overhead on a draft request: retrieval query (full-text search over resolved
 * conversations in PostgreSQL) + prompt assembly + the inference client (breaker, adapter
 * bookkeeping, zod-parsed response, metrics) + answer validation, vs a direct `openai` SDK call
 * with the same prompt to the same loopback model server, one request at a time, interleaved,
 * in the same run. The model server is a fake that answers at once
 * (test/support/fake-model-server.ts), so model time does not hide the overhead.
 * Goal: overhead p95 ≤ 20 ms. BENCH_REQUESTS=… and BENCH_CONVERSATIONS=… change the size.
 */
import OpenAI from 'openai';
import type { Conversation, Message } from '../integrations/types.ts';
import { generateSupportThreads, type SandboxThread } from '../integrations/sandbox-kit/data.ts';
import { loadConfig } from '../src/config.ts';
import { connectDatabase } from '../src/db/client.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { connections } from '../src/db/schema/index.ts';
import { storeBatch } from '../src/harvest/store-batch.ts';
import { createLogger } from '../src/log.ts';
import { createInferenceClient, type ServedModel } from '../src/models/inference/client.ts';
import { parseTriageAnswer } from '../src/serving/answers.ts';
import { replyPrompt, retrievalText } from '../src/datasets/prompts/prompt.ts';
import { examplesForPrompt } from '../src/datasets/prompts/retrieved-examples.ts';
import { startFakeModelServer } from '../test/support/fake-model-server.ts';
import { benchDatabase } from './database.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000);
const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 5_000);
const WARMUP = 50;
const SYSTEM_PROMPT = 'You are a customer support agent. Write the next reply to the customer: helpful, accurate, polite and concise.';

function toConversation(thread: SandboxThread): Conversation {
  const person = (p: { name: string; email: string } | null) => (p ? { id: p.email, name: p.name, email: p.email } : null);
  const messages: Message[] = thread.turns.map((turn, i) => ({
    sourceId: String(i + 1),
    authorRole: turn.kind === 'internal' ? 'agent' : turn.kind,
    author: person(turn.author),
    visibility: turn.kind === 'internal' ? 'internal' : 'public',
    body: turn.body,
    createdAt: turn.at,
    attachments: [],
  }));
  return {
    source: 'zendesk',
    sourceId: String(thread.number),
    subject: thread.subject,
    status: thread.status,
    priority: thread.priority,
    channel: 'email',
    language: thread.language,
    tags: [],
    customFields: {},
    requester: person(thread.customer),
    assignee: person(thread.agent),
    organizationId: thread.organization,
    createdAt: thread.createdAt,
    updatedAt: thread.updatedAt,
    deleted: false,
    messages,
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

export async function main() {
  const scratch = await benchDatabase();
  const log = createLogger({ LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
  const database = connectDatabase(scratch.url, { max: 4 });
  await applyMigrations(database);
  const [connection] = await database.db.insert(connections).values({ vendor: 'zendesk', name: 'bench', settings: {}, credentialsEncrypted: 'unused' }).returning();
  if (!connection) throw new Error('no connection');
  // Stored conversations to search, and other (later) ones as the live tickets being drafted.
  const threads = generateSupportThreads({ seed: 11, count: CONVERSATIONS + 200 });
  const stored = threads.slice(0, CONVERSATIONS).map(toConversation);
  for (let i = 0; i < stored.length; i += 500) await database.db.transaction((tx) => storeBatch(tx, connection.id, null, { conversations: stored.slice(i, i + 500), cursor: {} }));
  // Steady state: autovacuum has analyzed the tables and flushed the GIN index's pending list.
  await database.pool.query('VACUUM ANALYZE messages');
  await database.pool.query('ANALYZE conversations');
  const live = threads.slice(CONVERSATIONS).map((thread) => {
    const conversation = toConversation(thread);
    const firstReply = conversation.messages.findIndex((m) => m.authorRole === 'agent' && m.visibility === 'public');
    return { ...conversation, messages: conversation.messages.slice(0, firstReply < 0 ? undefined : firstReply) };
  });

  const server = await startFakeModelServer({ reply: () => '{"priority":"high","language":"en"}' });
  const model: ServedModel = { id: '00000000-0000-4000-8000-00000000be7c', task: 'reply', backend: 'local', baseModel: 'base', adapterPath: '/models/bench/adapter', modelPath: null, providerModel: null };
  const inference = createInferenceClient({ config: loadConfig({ INFERENCE_BASE_URL: server.url, INFERENCE_MAX_RETRIES: '0' }), log });
  const direct = new OpenAI({ apiKey: 'EMPTY', baseURL: server.url, maxRetries: 0 });

  const hubDraft = async (ticket: Conversation) => {
    const examples = await examplesForPrompt(database.db, { connectionIds: [connection.id], text: retrievalText(ticket), excludeSource: { source: ticket.source, sourceId: ticket.sourceId }, limit: 3 });
    const messages = replyPrompt({ conversation: ticket, systemPrompt: SYSTEM_PROMPT, examples });
    const result = await inference.complete(model, messages, { maxTokens: 256, temperature: 0 });
    if (!parseTriageAnswer(result.text)) throw new Error('invalid answer');
    return examples.length;
  };
  const directCall = async (ticket: Conversation) => {
    const messages = replyPrompt({ conversation: ticket, systemPrompt: SYSTEM_PROMPT });
    await direct.chat.completions.create({ model: `tuneloop-${model.id}`, messages, max_completion_tokens: 256, temperature: 0 });
  };

  const hubMs: number[] = [];
  const directMs: number[] = [];
  let grounded = 0;
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    const ticket = live[i % live.length] as Conversation;
    // Alternate which goes first so neither always runs on a warmer connection.
    const order = i % 2 === 0 ? (['hub', 'direct'] as const) : (['direct', 'hub'] as const);
    for (const which of order) {
      const started = performance.now();
      if (which === 'hub') {
        const found = await hubDraft(ticket);
        if (i >= WARMUP && found > 0) grounded++;
      }
      else await directCall(ticket);
      const ms = performance.now() - started;
      if (i >= WARMUP) (which === 'hub' ? hubMs : directMs).push(ms);
    }
  }
  await server.close();
  await database.close();
  await scratch.done();

  hubMs.sort((a, b) => a - b);
  directMs.sort((a, b) => a - b);
  const line = (name: string, ms: number[]) => `${name.padEnd(46)} p50 ${percentile(ms, 50).toFixed(2)} ms   p95 ${percentile(ms, 95).toFixed(2)} ms   p99 ${percentile(ms, 99).toFixed(2)} ms`;
  process.stdout.write(`model server: loopback fake OpenAI-protocol server answering at once (model time excluded)\n`);
  process.stdout.write(`${line('direct openai SDK call (baseline)', directMs)}\n${line('hub draft (retrieval+prompt+client+validation)', hubMs)}\n`);
  const overhead50 = percentile(hubMs, 50) - percentile(directMs, 50);
  const overhead95 = percentile(hubMs, 95) - percentile(directMs, 95);
  process.stdout.write(`overhead: p50 ${overhead50.toFixed(2)} ms   p95 ${overhead95.toFixed(2)} ms   goal p95 <= 20 ms   (${REQUESTS} requests each, sequential; ${CONVERSATIONS} stored conversations; ${grounded} of the hub's drafts grounded in retrieved examples)\n`);
}
