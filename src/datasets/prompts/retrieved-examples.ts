/**
 * Retrieved examples as a prompt may show them: from the ticket's own connection only
 * (retrieval.ts filters on it), and scrubbed by the curation scrubber first, so a past customer's
 * name, email or phone never reaches a model through retrieval. Each example is one scrub session
 * (its question and answer share placeholders); the people the vendor named on the example's
 * conversation and the current ticket's known people are replaced in every spelling.
 */
import type { Tx } from '../../db/client.ts';
import { defaultScrubber } from '../pii/default-scrubber.ts';
import type { KnownPerson } from '../pii/index.ts';
import { similarResolved, type RetrievalQuery, type RetrievedExample } from './retrieval.ts';

export function scrubExamples(examples: RetrievedExample[], knownPeople: readonly KnownPerson[] = []): RetrievedExample[] {
  const scrubber = defaultScrubber();
  return examples.map((example) => {
    const session = scrubber.session();
    const people = [...(example.people ?? []), ...knownPeople];
    const question = session.scrub(example.question, { knownPeople: people }).text;
    const answer = session.scrub(example.answer, { knownPeople: people }).text;
    return { conversationId: example.conversationId, question, answer, rank: example.rank };
  });
}

/** Similar resolved conversations of the same connection, scrubbed for a prompt. */
export async function examplesForPrompt(db: Tx, query: RetrievalQuery, knownPeople: readonly KnownPerson[] = []): Promise<RetrievedExample[]> {
  return scrubExamples(await similarResolved(db, query), knownPeople);
}
