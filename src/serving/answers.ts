/**
 * Model answers for triage and compliance are JSON, validated with zod. Anything that does not
 * validate is "no prediction" (null), never a label: a half-broken answer must not tag a ticket.
 * Tolerated around the JSON object, because models add them: a ```json fence, and text after the
 * object. Nothing else (no prose before it, no repaired JSON).
 */
import { z } from 'zod';

const label = z.string().trim().min(1).max(200);
const confidence = z.number().min(0).max(1);

/** A triage answer: string labels by name (the names the model was trained on), optionally a confidence. */
export const triageAnswer = z.looseObject({
  intent: label.optional(),
  category: label.optional(),
  priority: label.optional(),
  language: label.optional(),
  confidence: confidence.optional(),
});

/** A compliance answer: whether the message breaks a policy, which one, how sure. */
export const complianceAnswer = z.looseObject({
  violation: z.boolean(),
  policy: label.nullable().optional(),
  confidence: confidence.optional(),
});

/** The JSON object at the start of `text` (inside a ```json fence or followed by text), or undefined. */
export function leadingJsonObject(text: string): unknown {
  let body = text.trim();
  const fence = /^```(?:json)?\s*([\s\S]*?)```/i.exec(body);
  if (fence) body = (fence[1] ?? '').trim();
  if (!body.startsWith('{')) return undefined;
  const end = objectEnd(body);
  if (end < 0) return undefined;
  try {
    return JSON.parse(body.slice(0, end + 1));
  } catch {
    return undefined;
  }
}

/** Index of the brace that closes the object opened at 0, skipping braces inside strings; -1 if none. */
function objectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Labels (every string-valued key) and the confidence of a triage answer, or null when it is not a valid one. */
export function parseTriageAnswer(text: string): { labels: Record<string, string>; confidence: number | null } | null {
  const parsed = triageAnswer.safeParse(leadingJsonObject(text));
  if (!parsed.success) return null;
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.data)) {
    if (name === 'confidence') continue;
    // Labels are strings (training targets are); a number, list or object under any name is not an answer.
    const valid = label.safeParse(value);
    if (!valid.success) return null;
    labels[name] = valid.data;
  }
  if (Object.keys(labels).length === 0) return null;
  return { labels, confidence: parsed.data.confidence ?? null };
}

export function parseComplianceAnswer(text: string): { violation: boolean; policy: string | null; confidence: number | null } | null {
  const parsed = complianceAnswer.safeParse(leadingJsonObject(text));
  if (!parsed.success) return null;
  return { violation: parsed.data.violation, policy: parsed.data.policy ?? null, confidence: parsed.data.confidence ?? null };
}
