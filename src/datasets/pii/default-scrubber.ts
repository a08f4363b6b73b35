/**
 * The scrubber with the default configuration (the one curation uses when a dataset sets nothing
 * else), compiled once per process: for texts that leave the store outside curation (retrieved
 * examples in prompts, prompts to external models). The NER model loads on first use and a missing
 * or corrupt model throws NerModelError, as in curation: never a silent weaker scrubber.
 */
import { Scrubber } from './index.ts';

let scrubber: Scrubber | undefined;

export function defaultScrubber(): Scrubber {
  return (scrubber ??= new Scrubber());
}
