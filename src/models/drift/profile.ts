/**
 * The two sides of a drift check. Training: the production model's dataset version, read from its
 * train split file (the manifest keeps token and label counts, but not languages, input lengths or
 * words), bounded to TRAIN_EXAMPLES_READ lines. Live: customer messages stored (harvests and
 * webhooks) since the model's promotion, from the dataset's connections.
 */
import { createInterface } from 'node:readline';
import { and, desc, eq, gte, inArray, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { ArtifactStore } from '../../artifacts/index.ts';
import type { Tx } from '../../db/client.ts';
import { conversations, messages } from '../../db/schema/index.ts';
import { labelsFor, parseDatasetConfig, type DatasetConfig } from '../../datasets/config.ts';
import { resolveLabel } from '../../datasets/labels.ts';
import { guessLanguage } from '../../datasets/language.ts';
import type { SourceConversation } from '../../datasets/types.ts';
import { InputProfile, unseenShare, VOCABULARY_LIMIT, words } from './metrics.ts';
import { StoredManifest } from '../../datasets/manifest.ts';

export const TRAIN_EXAMPLES_READ = 20_000;
export const HELD_OUT_EXAMPLES_READ = 2_000;
export const LIVE_MESSAGES_READ = 5_000;
/** Texts kept per side for the unseen-word share. */
const TEXTS_KEPT = 5_000;

export class DriftDataError extends Error {
  override name = 'DriftDataError';
}


const Line = z.object({ messages: z.array(z.object({ role: z.string(), content: z.string() })) });

/** The text a model answers: the last customer turn, without the "Subject: …" prefix extract.ts adds. */
function inputOf(example: z.infer<typeof Line>): { text: string; target: string | null } | null {
  const user = example.messages.findLast((message) => message.role === 'user');
  if (!user) return null;
  const target = example.messages.at(-1)?.role === 'assistant' ? (example.messages.at(-1)?.content ?? null) : null;
  return { text: user.content.replace(/^Subject: [^\n]*\n\n/, ''), target };
}

function labelsOfTarget(target: string | null): Record<string, string | null> {
  if (!target?.startsWith('{')) return {};
  try {
    const parsed: unknown = JSON.parse(target);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter(([, value]) => typeof value === 'string')) as Record<string, string>;
  } catch {
    return {};
  }
}

async function* examples(store: ArtifactStore, key: string, limit: number): AsyncGenerator<{ text: string; target: string | null }> {
  const stream = await store.get(key);
  if (!stream) throw new DriftDataError(`the split file ${key} is missing from the artifact store`);
  let read = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const parsed = Line.safeParse(JSON.parse(line));
    const input = parsed.success ? inputOf(parsed.data) : null;
    if (input) yield input;
    if (++read >= limit) break;
  }
  stream.destroy();
}

export interface TrainingSide {
  profile: InputProfile;
  vocabulary: Set<string>;
  heldOutUnseenShare: number | null;
  config: DatasetConfig;
  labelled: boolean;
}

export async function trainingSide(store: ArtifactStore, task: string, rawManifest: unknown): Promise<TrainingSide> {
  const manifest = StoredManifest.safeParse(rawManifest);
  if (!manifest.success) throw new DriftDataError('the dataset version has no usable manifest (no train split)');
  const config = parseDatasetConfig(manifest.data.config ?? {});
  const labelled = task === 'triage';
  const profile = new InputProfile(TEXTS_KEPT);
  const vocabulary = new Set<string>();
  for await (const example of examples(store, manifest.data.splits.train.key, TRAIN_EXAMPLES_READ)) {
    profile.add(example.text, guessLanguage(example.text), labelled ? labelsOfTarget(example.target) : {});
    for (const word of words(example.text)) if (vocabulary.size < VOCABULARY_LIMIT) vocabulary.add(word);
  }
  // The unseen share of data the vocabulary did not come from but the model did see the like of: the baseline.
  const heldOut = manifest.data.splits.test ?? manifest.data.splits.validation;
  let heldOutUnseenShare: number | null = null;
  if (heldOut) {
    const texts: string[] = [];
    for await (const example of examples(store, heldOut.key, HELD_OUT_EXAMPLES_READ)) texts.push(example.text);
    heldOutUnseenShare = unseenShare(vocabulary, texts);
  }
  return { profile, vocabulary, heldOutUnseenShare, config, labelled };
}

/** Customer messages since `since` (triage: each conversation's first one, the text triage sees). */
export async function liveSide(db: Tx, training: Pick<TrainingSide, 'config' | 'labelled'>, task: string, since: Date): Promise<InputProfile> {
  const where: SQL[] = [eq(messages.authorRole, 'customer'), eq(messages.visibility, 'public'), gte(messages.sourceCreatedAt, since), eq(conversations.deleted, false), sql`btrim(${messages.body}) <> ''`];
  if (training.config.connections.length) where.push(inArray(conversations.connectionId, training.config.connections));
  const firstOnly = task === 'triage';
  const query = db
    .select({ body: messages.body, position: messages.position, conversation: conversations })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(and(...where));
  const rows = firstOnly
    ? await query.orderBy(messages.conversationId, messages.position).limit(LIVE_MESSAGES_READ * 4)
    : await query.orderBy(desc(messages.sourceCreatedAt)).limit(LIVE_MESSAGES_READ);
  const profile = new InputProfile(TEXTS_KEPT);
  const seen = new Set<number>();
  const labelSources = training.labelled ? labelsFor(training.config) : [];
  for (const row of rows) {
    if (firstOnly && seen.has(row.conversation.id)) continue;
    seen.add(row.conversation.id);
    const conversation: SourceConversation = { ...row.conversation, createdAt: row.conversation.sourceCreatedAt, updatedAt: row.conversation.sourceUpdatedAt, messages: [] };
    const labels = Object.fromEntries(labelSources.map(([name, source]) => [name, resolveLabel(source, conversation, row.body)]));
    profile.add(row.body, guessLanguage(row.body), labels);
    if (profile.size >= LIVE_MESSAGES_READ) break;
  }
  return profile;
}
