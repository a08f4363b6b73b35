/** What flows through the curation steps: conversations as read from Postgres, and chat examples. */
import type { PersonRecord } from '../db/schema/index.ts';

export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

/** A person's decision on a compliance alert raised on a message (src/serving/compliance). */
export interface ReviewedAlert {
  policy: string;
  label: 'violation' | 'false_positive';
}

export interface SourceMessage {
  id: number;
  authorRole: 'customer' | 'agent' | 'bot' | 'system';
  author: PersonRecord | null;
  visibility: 'public' | 'internal';
  body: string;
  createdAt: Date;
  /** Read for the compliance task only: the message's decided alerts, oldest first. */
  reviewedAlerts?: ReviewedAlert[];
}

/** A harvested conversation with its messages in order (src/db/schema/conversations.ts). */
export interface SourceConversation {
  id: number;
  connectionId: string;
  sourceId: string;
  subject: string | null;
  status: string | null;
  priority: string | null;
  language: string | null;
  tags: string[];
  customFields: Record<string, unknown>;
  requester: PersonRecord | null;
  assignee: PersonRecord | null;
  organizationId: string | null;
  deleted: boolean;
  createdAt: Date;
  updatedAt: Date;
  messages: SourceMessage[];
  /** Read for the preference task only: posted reply drafts whose ticket got the agent's final reply. */
  drafts?: SourceDraft[];
}

/** A reply draft tuneloop posted on the conversation and what the agent finally sent (src/serving/feedback/record.ts). */
export interface SourceDraft {
  id: string;
  text: string;
  /** chrF of the draft against the final reply, 0..1. */
  similarity: number;
  postedAt: Date;
}

/**
 * OpenAI chat fine-tuning format. `weight: 0` marks assistant turns that are context only: by
 * default every assistant message of a multi-turn example is trained on.
 * https://platform.openai.com/docs/guides/supervised-fine-tuning
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  weight?: 0 | 1;
}

export interface Example {
  messages: ChatMessage[];
  /** Null for uploaded examples. */
  conversationId: number | null;
  /** Every message the example was built from, the target's last. */
  messageIds: number[];
  /** Examples of one group share a split (organisation, requester or conversation). */
  groupKey: string;
  /** The text that makes two examples duplicates (for reply: last customer turn + reply). */
  dedupText: string;
  /** The assistant target (the reply, or the labels' JSON). */
  target: string;
  /** The customer turn the target answers. */
  lastUser: string;
  labels?: Record<string, string>;
  /** Preference: the reply that lost (the draft the agent rewrote); `target` is the one that won. */
  rejected?: string;
  /** Preference: the draft the pair was made from (lineage). */
  draftId?: string;
}

/** Counts by reason or type; keys appear in the manifest. */
export type Counts = Record<string, number>;

export function increment(counts: Counts, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
