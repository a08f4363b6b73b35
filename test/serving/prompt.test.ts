/** Serving prompts equal the training examples of the same conversation (src/datasets/steps/extract.ts). */
import { describe, expect, it } from 'vitest';
import type { Conversation, Message } from '../../integrations/types.ts';
import { parseDatasetConfig } from '../../src/datasets/config.ts';
import { extract } from '../../src/datasets/steps/extract.ts';
import { rawTexts } from '../../src/datasets/steps/scrub.ts';
import type { SourceConversation } from '../../src/datasets/types.ts';
import { awaitsReply, EXAMPLE_LIMITS, NothingToPromptError, replyPrompt, retrievalText, triagePrompt } from '../../src/datasets/prompts/prompt.ts';

const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 10, minute));
const message = (n: number, authorRole: Message['authorRole'], body: string, visibility: Message['visibility'] = 'public'): Message => ({
  sourceId: String(n),
  authorRole,
  author: null,
  visibility,
  body,
  createdAt: at(n),
  attachments: [],
});

/** A live ticket as a connector returns it. */
function ticket(messages: Message[]): Conversation {
  return {
    source: 'zendesk',
    sourceId: '42',
    subject: 'Refund for order 1234',
    status: 'open',
    priority: 'high',
    channel: 'email',
    language: 'en',
    tags: [],
    customFields: {},
    requester: null,
    assignee: null,
    organizationId: null,
    createdAt: at(0),
    updatedAt: at(30),
    deleted: false,
    messages,
  };
}

/** The same conversation as curation reads it from Postgres. */
function harvested(conversation: Conversation): SourceConversation {
  return {
    ...conversation,
    id: 7,
    connectionId: '00000000-0000-0000-0000-000000000001',
    messages: conversation.messages.map((m, i) => ({ id: i + 1, authorRole: m.authorRole, author: m.author, visibility: m.visibility, body: m.body, createdAt: m.createdAt })),
  };
}

const HISTORY = [
  message(1, 'customer', 'Hello, I ordered a lamp.'),
  message(2, 'customer', 'It arrived broken. Can I get a refund?'),
  message(3, 'agent', 'Sorry to hear that! Could you send a photo?'),
  message(4, 'agent', 'Checking with the warehouse.', 'internal'),
  message(5, 'bot', 'Your ticket was updated.'),
  message(6, 'customer', 'Here is the photo.'),
  message(7, 'agent', 'Thanks, the refund is on its way and will arrive within five days.'),
];

describe('serving prompts are the training examples', () => {
  it.each([
    ['default context', {}],
    ['notes and bot messages as context, no subject', { context: { internalNotes: true, botMessages: true, subject: false } }],
    ['a short window', { context: { maxTurns: 2 } }],
    ['a custom system prompt', { systemPrompt: 'Answer as Acme support.' }],
  ])('reply, %s: the prompt equals the example of the next agent reply, without its target', (_name, recipe) => {
    const config = parseDatasetConfig(recipe);
    const full = harvested(ticket(HISTORY));
    const examples = extract('reply', full, config, rawTexts(full), 'g').examples;
    const last = examples.at(-1);
    if (!last) throw new Error('no example');
    const expected = last.messages.slice(0, -1).map(({ role, content }) => ({ role, content }));

    const live = ticket(HISTORY.slice(0, -1));
    const systemPrompt = config.systemPrompt ?? (expected[0]?.content as string);
    expect(replyPrompt({ conversation: live, systemPrompt, context: config.context })).toEqual(expected);
    expect(awaitsReply(live, config.context)).toBe(true);
    expect(awaitsReply(ticket(HISTORY), config.context)).toBe(false);
  });

  it('triage: subject and first public customer message, like the example', () => {
    const config = parseDatasetConfig({});
    const full = harvested({ ...ticket(HISTORY), language: 'en' });
    const [example] = extract('triage', full, config, rawTexts(full), 'g').examples;
    expect(example).toBeDefined();
    const expected = example?.messages.slice(0, -1);
    expect(triagePrompt({ conversation: ticket(HISTORY), systemPrompt: expected?.[0]?.content as string })).toEqual(expected);
  });

  it('retrieved examples go at the end of the system message, capped; nothing to answer is an error', () => {
    const long = 'word '.repeat(500);
    const examples = [1, 2, 3, 4].map((n) => ({ conversationId: String(n), question: `Question ${n} ${long}`, answer: `Answer ${n} ${long}`, rank: 1 / n }));
    const [system, ...rest] = replyPrompt({ conversation: ticket(HISTORY.slice(0, 2)), systemPrompt: 'Be kind.', examples });
    expect(system?.content.startsWith('Be kind.\n\nSimilar resolved conversations')).toBe(true);
    expect(system?.content).toContain('Customer: Question 1');
    expect(system?.content).toContain('Agent: Answer 1');
    expect(system?.content).not.toContain('Question 4');
    expect(system?.content.length).toBeLessThan('Be kind.'.length + EXAMPLE_LIMITS.totalChars + 200);
    expect(rest).toEqual([{ role: 'user', content: 'Subject: Refund for order 1234\n\nHello, I ordered a lamp.\n\nIt arrived broken. Can I get a refund?' }]);
    expect(replyPrompt({ conversation: ticket(HISTORY.slice(0, 2)), systemPrompt: 'Be kind.', examples: [] })[0]?.content).toBe('Be kind.');

    expect(() => replyPrompt({ conversation: ticket([message(1, 'agent', 'Hi! Following up.')]), systemPrompt: 'x' })).toThrow(NothingToPromptError);
    expect(() => triagePrompt({ conversation: ticket([message(1, 'customer', 'secret', 'internal')]), systemPrompt: 'x' })).toThrow(NothingToPromptError);
    expect(retrievalText(ticket(HISTORY.slice(0, -1)))).toBe('Refund for order 1234\nHere is the photo.');
  });
});
