/**
 * A language guess for conversations whose vendor gave none, by eld (Efficient Language Detector,
 * n-gram scores; its "small" database), limited to the languages support teams in Europe write in.
 * It answers null when eld does not call its own result reliable (short or ambiguous text) rather
 * than guessing. franc was tried first: on short support messages it mixed up Spanish and
 * Portuguese and took twice as long.
 */
import { eld } from 'eld/small';

/** ISO 639-1 codes, as dataset filters and drift profiles name languages. */
export const GUESSED_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'] as const;
eld.setLanguageSubset([...GUESSED_LANGUAGES]);

/** Enough text for a guess; the rest of a long message does not change it. */
const SAMPLE_CHARS = 2_000;

export function guessLanguage(text: string): string | null {
  const result = eld.detect(text.slice(0, SAMPLE_CHARS));
  return result.language && result.isReliable() ? result.language : null;
}
