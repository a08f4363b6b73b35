/**
 * The "with retrieval" side of a reply evaluation: the test examples with similar resolved
 * conversations added to their system message, exactly as draft.generate adds them (withExamples),
 * so the report shows what retrieval does to the candidate's answers. Each example's own
 * conversation (from the version's lineage) is never retrieved for it. Null when retrieval finds
 * nothing for any example (e.g. an uploaded dataset and an empty store): there is nothing to compare.
 * Examples come from the example's own connection only and are scrubbed (retrieved-examples.ts),
 * as in drafts; an example without a stored conversation (uploaded) gets none.
 */
import { and, eq, lt } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { conversations, datasetLineage } from '../../db/schema/index.ts';
import { withExamples } from '../../datasets/prompts/prompt.ts';
import { examplesForPrompt } from '../../datasets/prompts/retrieved-examples.ts';

const EXAMPLES = 3;

interface Line {
  messages: Array<{ role: string; content: string; weight?: number }>;
}

export async function withRetrievedExamples(db: Tx, versionId: string, lines: string[]): Promise<string[] | null> {
  const owners = await db
    .select({ position: datasetLineage.position, connectionId: conversations.connectionId, source: conversations.source, sourceId: conversations.sourceId })
    .from(datasetLineage)
    .leftJoin(conversations, eq(conversations.id, datasetLineage.conversationId))
    .where(and(eq(datasetLineage.versionId, versionId), eq(datasetLineage.split, 'test'), lt(datasetLineage.position, lines.length)));
  const ownerOf = new Map(owners.map((row) => [row.position, row]));
  let found = false;
  const out: string[] = [];
  for (const [position, text] of lines.entries()) {
    const line = JSON.parse(text) as Line;
    const [system, ...rest] = line.messages;
    const target = rest.findLastIndex((message) => message.role === 'assistant');
    const question = rest.slice(0, Math.max(0, target)).findLast((message) => message.role === 'user')?.content;
    if (system?.role !== 'system' || !question) {
      out.push(text);
      continue;
    }
    const owner = ownerOf.get(position);
    const examples =
      owner?.connectionId && owner.source && owner.sourceId
        ? await examplesForPrompt(db, { connectionIds: [owner.connectionId], text: question, limit: EXAMPLES, excludeSource: { source: owner.source, sourceId: owner.sourceId } })
        : [];
    if (examples.length) found = true;
    out.push(JSON.stringify({ ...line, messages: [{ ...system, content: withExamples(system.content, examples) }, ...rest] }));
  }
  return found ? out : null;
}
