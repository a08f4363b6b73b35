/**
 * A dataset's recipe, parsed with zod when the dataset is created (defaults filled in and stored,
 * so a later change of a default never changes how an existing dataset builds). Every version's
 * manifest keeps the config it was built with.
 */
import { z } from 'zod';
import { ScrubConfigSchema } from './pii/index.ts';

export const TASKS = ['reply', 'triage', 'compliance', 'preference'] as const;
export type Task = (typeof TASKS)[number];

const DEFAULT_PROMPTS: Record<Task, string> = {
  reply: 'You are a customer support agent. Write the next reply to the customer: helpful, accurate, polite and concise.',
  triage: 'Classify the support ticket. Answer with a JSON object with the keys given in the training data and nothing else.',
  compliance: 'Decide whether the message breaks a policy. Answer with JSON.',
  preference: 'You are a customer support agent. Write the next reply to the customer.',
};

const rawToLabel = z.record(z.string(), z.string().min(1)).optional();
/** Where a triage label comes from. `values` maps raw values to labels (unmapped: missing); `fallback` fills a missing one. */
export const LabelSourceSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('priority'), values: rawToLabel, fallback: z.string().min(1).optional() }).strict(),
  z.object({ source: z.literal('language'), values: rawToLabel, fallback: z.string().min(1).optional() }).strict(),
  z.object({ source: z.literal('status'), values: rawToLabel, fallback: z.string().min(1).optional() }).strict(),
  z.object({ source: z.literal('custom_field'), field: z.string().min(1), values: rawToLabel, fallback: z.string().min(1).optional() }).strict(),
  /** The first of the conversation's tags that `values` maps (tag → label). */
  z.object({ source: z.literal('tags'), values: z.record(z.string(), z.string().min(1)), fallback: z.string().min(1).optional() }).strict(),
  /** The first tag starting with `prefix`, without it ("intent_refund" → "refund"). */
  z.object({ source: z.literal('tag_prefix'), prefix: z.string().min(1), fallback: z.string().min(1).optional() }).strict(),
]);
export type LabelSource = z.infer<typeof LabelSourceSchema>;

const ratio = z.number().min(0).max(1);
const isoDate = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp, e.g. 2025-01-31T00:00:00Z' });

export const DatasetConfigSchema = z
  .object({
    /** Connection ids whose harvested conversations feed the dataset. */
    connections: z.array(z.uuid()).default([]),
    /** Conversations created at or after `since` and before `until` (ISO 8601). */
    since: isoDate.nullable().default(null),
    until: isoDate.nullable().default(null),
    systemPrompt: z.string().min(1).max(8_000).optional(),
    context: z
      .object({
        /** Prefix the first customer message with "Subject: …". */
        subject: z.boolean().default(true),
        /** Internal notes as system messages in the context. They are never targets. */
        internalNotes: z.boolean().default(false),
        /** Bot and system messages as system messages in the context. They are never targets. */
        botMessages: z.boolean().default(false),
        /** Turns of history kept before the target (the oldest are cut). */
        maxTurns: z.number().int().min(1).max(200).default(20),
      })
      .strict()
      .prefault({}),
    filters: z
      .object({
        /** Only conversations whose status is in resolvedStatuses (an open ticket's replies may still change). */
        requireResolved: z.boolean().default(true),
        resolvedStatuses: z.array(z.string().min(1)).default(['solved', 'closed', 'resolved']),
        /** ISO 639-1 codes; null keeps every language. Unknown languages are guessed from the text. */
        languages: z.array(z.string().regex(/^[a-z]{2}$/)).nullable().default(null),
        minTargetChars: z.number().int().min(0).default(20),
        maxTargetChars: z.number().int().min(1).default(4_000),
        /** The whole example; ≈ 6,000 tokens at 4 characters per token. */
        maxExampleChars: z.number().int().min(1).default(24_000),
        /** Drop auto-replies, out-of-office answers and bounces. */
        autoReplies: z.boolean().default(true),
        /** A reply text seen this many times is a macro: later copies are dropped. null: never. */
        macroMaxRepeats: z.number().int().min(1).nullable().default(25),
        /** Known macro texts: replies equal to one of them (normalised) are dropped. */
        macroTexts: z.array(z.string().min(1)).default([]),
        /** Replies that are mostly placeholders ([NAME_1] …) after scrubbing carry no content. */
        maxPlaceholderShare: ratio.default(0.5),
      })
      .strict()
      .prefault({}),
    dedup: z
      .object({
        /** Estimated Jaccard similarity (word 3-grams) at which two examples are near-duplicates; 1 = exact only. */
        threshold: z.number().min(0.5).max(1).default(0.85),
        permutations: z.number().int().min(16).max(256).default(64),
      })
      .strict()
      .prefault({}),
    split: z
      .object({
        train: ratio.default(0.8),
        validation: ratio.default(0.1),
        test: ratio.default(0.1),
        /** Examples of one group always share a split, so the test set never sees a known customer. */
        groupBy: z.enum(['organization', 'requester', 'conversation']).default('requester'),
        /** Changing it reshuffles every split; keep it. */
        seed: z.string().min(1).default('tuneloop'),
      })
      .strict()
      .prefault({})
      .refine((s) => Math.abs(s.train + s.validation + s.test - 1) < 1e-9, 'split ratios must add up to 1'),
    /** Triage labels by name; default priority and language from the conversation. */
    labels: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/), LabelSourceSchema).optional(),
    /**
     * Preference pairs (task preference): a draft the agent changed below `maxSimilarity` (chrF of
     * draft vs sent reply, the same measure as DRAFT_ACCEPT_SIMILARITY) gives a pair; a build with
     * fewer than `minPairs` pairs fails and says how many it found. Defaults: PREFERENCE_DEFAULTS.
     */
    preference: z
      .object({
        maxSimilarity: z.number().gt(0).max(1).optional(),
        minPairs: z.number().int().min(1).max(1_000_000).optional(),
      })
      .strict()
      .optional(),
    /** PII scrubber settings (src/datasets/pii/config.ts); validated here, compiled per build. */
    scrub: z
      .record(z.string(), z.unknown())
      .default({})
      .superRefine((value, ctx) => {
        const parsed = ScrubConfigSchema.safeParse(value);
        if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: `scrub.${issue.path.join('.')}: ${issue.message}` });
      }),
  })
  .strict();

/** Below the draft acceptance threshold (DRAFT_ACCEPT_SIMILARITY's default): the agent rewrote the draft. */
export const PREFERENCE_DEFAULTS = { maxSimilarity: 0.5, minPairs: 10 } as const;

export function preferenceSettings(config: Pick<DatasetConfig, 'preference'>): { maxSimilarity: number; minPairs: number } {
  return { ...PREFERENCE_DEFAULTS, ...config.preference };
}

export type DatasetConfigInput = z.input<typeof DatasetConfigSchema>;
export type DatasetConfig = z.output<typeof DatasetConfigSchema>;

export const DEFAULT_LABELS: Record<string, LabelSource> = { priority: { source: 'priority' }, language: { source: 'language' } };

export class DatasetConfigError extends Error {
  override name = 'DatasetConfigError';
}

/** Parses a config; one readable line per problem. */
export function parseDatasetConfig(input: unknown): DatasetConfig {
  const result = DatasetConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new DatasetConfigError(result.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; '));
}

export function systemPromptFor(task: Task, config: DatasetConfig): string {
  return config.systemPrompt ?? DEFAULT_PROMPTS[task];
}

/** Label names in a fixed order (Postgres jsonb does not keep key order): the usual ones first, then alphabetical. */
const LABEL_ORDER = ['intent', 'category', 'priority', 'language'];

export function labelsFor(config: DatasetConfig): Array<[string, LabelSource]> {
  const rank = (name: string) => (LABEL_ORDER.includes(name) ? LABEL_ORDER.indexOf(name) : LABEL_ORDER.length);
  return Object.entries(config.labels ?? DEFAULT_LABELS).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}
