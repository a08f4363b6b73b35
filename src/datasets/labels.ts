/**
 * Triage labels from what the vendor stored on the ticket, through the dataset's label map: a
 * custom field, a tag (mapped or by prefix), the priority, status or language.
 */
import type { LabelSource } from './config.ts';
import { guessLanguage } from './language.ts';
import type { SourceConversation } from './types.ts';

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  const trimmed = s?.trim();
  return trimmed ? trimmed : null;
}

function mapped(raw: string | null, values: Record<string, string> | undefined): string | null {
  if (raw === null) return null;
  if (!values) return raw;
  return values[raw] ?? null;
}

/** The label, or null when the conversation has none for this source. */
export function resolveLabel(source: LabelSource, conversation: SourceConversation, firstCustomerText: string): string | null {
  let label: string | null;
  switch (source.source) {
    case 'priority':
      label = mapped(text(conversation.priority), source.values);
      break;
    case 'status':
      label = mapped(text(conversation.status), source.values);
      break;
    case 'language':
      label = mapped(text(conversation.language) ?? guessLanguage(firstCustomerText), source.values);
      break;
    case 'custom_field':
      label = mapped(text(conversation.customFields[source.field]), source.values);
      break;
    case 'tags':
      label = conversation.tags.map((tag) => source.values[tag]).find((value) => value !== undefined) ?? null;
      break;
    case 'tag_prefix': {
      const tag = conversation.tags.find((t) => t.startsWith(source.prefix) && t.length > source.prefix.length);
      label = tag ? tag.slice(source.prefix.length) : null;
      break;
    }
  }
  return label ?? source.fallback ?? null;
}
