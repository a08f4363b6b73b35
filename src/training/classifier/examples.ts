/**
 * A compliance dataset version's lines (src/datasets/steps/extract-compliance.ts) as a policy's
 * classification examples: the user turn is the text; the verdict names the policy the message was
 * judged under, with `violation` true (confirmed) or false (a false positive). Lines judged under
 * other policies are not this policy's examples.
 */
import { z } from 'zod';

const Line = z.object({ messages: z.array(z.object({ role: z.string(), content: z.string() })) });
const Verdict = z.object({ violation: z.boolean(), policy: z.string().nullable() });

export interface PolicyExample {
  text: string;
  violation: boolean;
}

/** The line's text and verdict, or null for a line that is not a compliance example. */
export function parseComplianceLine(line: string): { text: string; policy: string | null; violation: boolean } | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = Line.safeParse(value);
  if (!parsed.success) return null;
  const user = parsed.data.messages.find((message) => message.role === 'user');
  const answer = parsed.data.messages.findLast((message) => message.role === 'assistant');
  if (!user || !answer) return null;
  let verdict: unknown;
  try {
    verdict = JSON.parse(answer.content);
  } catch {
    return null;
  }
  const checked = Verdict.safeParse(verdict);
  return checked.success ? { text: user.content, policy: checked.data.policy, violation: checked.data.violation } : null;
}

export function policyExamples(lines: readonly string[], policy: string): PolicyExample[] {
  const out: PolicyExample[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    const parsed = parseComplianceLine(line);
    if (parsed?.policy === policy) out.push({ text: parsed.text, violation: parsed.violation });
  }
  return out;
}
