/**
 * The PII scrubber's public API. Personal data is replaced before a message enters a training
 * dataset (GDPR/DSGVO): names, emails, phones, IBANs, cards, addresses, IPs, personal URLs, IDs.
 *
 *   const scrubber = new Scrubber(config);            // compile once
 *   const session = scrubber.session();               // one per conversation
 *   session.scrub(text, { knownPeople })              // → { text, replacements, spans }
 */
import { resolveConfig, type CompiledConfig, type ScrubConfigInput } from './config.ts';
import { detectPii } from './detect.ts';
import { ScrubSession, type ScrubResult } from './session.ts';
import type { ScrubContext, Span } from './types.ts';

export { compileConfig, resolveConfig, ScrubConfigSchema, DEFAULT_ID_PATTERNS } from './config.ts';
export type { CompiledConfig, IdPattern, ScrubConfig, ScrubConfigInput } from './config.ts';
export { detectPii } from './detect.ts';
export { createScrubSession, ScrubSession, type ScrubResult } from './session.ts';
export { luhnValid } from './detect-card.ts';
export { NerModelError, nerModelVersion } from './ner/model.ts';
export { PII_TYPES, emptyCounts } from './types.ts';
export type { KnownPerson, PiiType, ScrubContext, Span } from './types.ts';

export class Scrubber {
  readonly compiled: CompiledConfig;

  constructor(config?: ScrubConfigInput | CompiledConfig) {
    this.compiled = resolveConfig(config);
  }

  /** A new conversation with its own placeholder numbering. */
  session(): ScrubSession {
    return new ScrubSession(this.compiled);
  }

  /** Scrubs one text as a conversation of its own. */
  scrubText(text: string, context: ScrubContext = {}): ScrubResult {
    return this.session().scrub(text, context);
  }

  detect(text: string, context: ScrubContext = {}): Span[] {
    return detectPii(text, context, this.compiled);
  }
}

/** One text, one throwaway session. For a conversation use `createScrubSession`. */
export function scrubText(text: string, context: ScrubContext = {}, config?: ScrubConfigInput | CompiledConfig): ScrubResult {
  return new ScrubSession(resolveConfig(config)).scrub(text, context);
}
