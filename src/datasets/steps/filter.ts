/**
 * Step 3: drop what should not be learnt, each with a reason that the manifest counts.
 * Conversation level (before extraction, so dropped conversations cost nothing to scrub):
 * deleted, unresolved, not a target language. Example level (after scrubbing): empty, too short,
 * too long, auto-replies and bounces, macros, low quality.
 */
import { createHash } from 'node:crypto';
import type { DatasetConfig, Task } from '../config.ts';
import { guessLanguage } from '../language.ts';
import type { Example, SourceConversation } from '../types.ts';

/** Auto-acknowledgements and out-of-office answers (EN/DE), from either side. */
const AUTO_REPLY =
  /\b(?:auto(?:matic|mated)?[- ]?(?:reply|response|answer)|out of (?:the )?office|this is an automated|do not reply to this (?:e-?mail|message)|abwesenheitsnotiz|automatische antwort|nicht im büro|außer haus|bin (?:derzeit|zurzeit|bis) [^.\n]{0,40}(?:abwesend|nicht erreichbar))/i;
/** A customer message is an auto-reply when it opens like one (a person may mention one later on). */
const OPENING = 160;
/** Delivery failures bounced back into the ticket. */
const BOUNCE = /\b(?:mail delivery (?:subsystem|failed|failure)|undeliver(?:able|ed)|delivery status notification|delivery (?:has )?failed|returned mail|mailer-daemon|unzustellbar|nicht zugestellt)/i;
const PLACEHOLDER = /\[[A-Z]+_\d+\]/g;

export function conversationDropReason(conversation: SourceConversation, config: DatasetConfig, task?: Task): string | null {
  if (conversation.deleted) return 'deleted';
  if (conversation.messages.length === 0) return 'no_messages';
  const { filters } = config;
  // A reply or label is only final once the ticket is resolved; a reviewed compliance decision is final as it is.
  if (filters.requireResolved && task !== 'compliance' && !filters.resolvedStatuses.includes(conversation.status ?? '')) return 'unresolved';
  if (filters.languages) {
    const firstCustomer = conversation.messages.find((m) => m.authorRole === 'customer')?.body ?? '';
    const language = conversation.language ?? guessLanguage(`${conversation.subject ?? ''}\n${firstCustomer}`);
    if (language === null) return 'language_unknown';
    if (!filters.languages.includes(language)) return 'language';
  }
  return null;
}

/** Lowercase, placeholder numbers and punctuation gone, spaces collapsed: "macro" identity. */
export function normaliseText(text: string): string {
  const lower = text.toLowerCase().replace(/\[([a-z]+)_\d+\]/g, '[$1]');
  // Most support text is ASCII: a plain character class is several times faster than \p{…} classes.
  const separators = /^[\x00-\x7f]*$/.test(lower) ? /[^a-z0-9[\]]+/g : /[^\p{L}\p{N}[\]]+/gu;
  return lower.replace(separators, ' ').trim();
}

/** Per-build state: how often each reply text was seen (macro detection), known macro texts. */
export class ExampleFilter {
  private readonly seen = new Map<string, number>();
  private readonly macros: Set<string>;

  constructor(private readonly config: DatasetConfig) {
    this.macros = new Set(config.filters.macroTexts.map(normaliseText));
  }

  /** Why the example is dropped, or null to keep it. */
  dropReason(example: Example): string | null {
    const { filters } = this.config;
    if (example.messages.some((m) => m.content.trim() === '') || example.rejected?.trim() === '') return 'empty';
    const target = example.target.trim();
    if (target.length < filters.minTargetChars) return 'too_short';
    if (target.length > filters.maxTargetChars) return 'too_long';
    let chars = 0;
    for (const m of example.messages) chars += m.content.length;
    if (chars > filters.maxExampleChars) return 'too_long';
    if (filters.autoReplies) {
      const opening = example.lastUser.slice(0, OPENING);
      if (BOUNCE.test(opening) || BOUNCE.test(target)) return 'bounce';
      if (AUTO_REPLY.test(target) || AUTO_REPLY.test(opening)) return 'auto_reply';
    }
    if (!example.labels && this.lowQuality(target)) return 'low_quality';
    if (!example.labels) {
      const normalised = normaliseText(target);
      if (this.macros.has(normalised)) return 'macro';
      if (filters.macroMaxRepeats !== null) {
        // A hash, not the text, per distinct reply: memory stays small for 100k examples.
        const key = createHash('sha1').update(normalised).digest('base64');
        const count = (this.seen.get(key) ?? 0) + 1;
        this.seen.set(key, count);
        if (count > filters.macroMaxRepeats) return 'macro';
      }
    }
    return null;
  }

  private lowQuality(target: string): boolean {
    if (!/\p{L}{2}/u.test(target)) return true;
    const placeholders = target.match(PLACEHOLDER)?.join('').length ?? 0;
    const visible = target.replace(/\s+/g, '').length;
    if (visible > 0 && placeholders / visible > this.config.filters.maxPlaceholderShare) return true;
    // Shouting: a long reply in capitals only.
    const letters = target.replace(/[^\p{L}]/gu, '');
    return letters.length >= 20 && letters === letters.toUpperCase() && letters !== letters.toLowerCase();
  }
}
