/**
 * Built-in phrases for the `forbidden_promise` and `regulated_advice` detectors, English and
 * German. Syntax: words separated by spaces, matched case-insensitively on word boundaries; `*`
 * stands for up to three other words ("guarantee * refund" matches "guarantee you a full refund").
 * Names of guarantee policies ("our money-back guarantee") are deliberately absent: describing
 * the policy is fine, promising an outcome is not.
 * A phrase preceded by a negation ("we cannot guarantee a refund") does not count (negation.ts).
 */

export type Language = 'en' | 'de';
export type AdviceDomain = 'financial' | 'legal' | 'medical';

export const PROMISE_PHRASES: Record<Language, string[]> = {
  en: [
    'guarantee * refund',
    'guaranteed refund',
    'refund * guaranteed',
    '100% refund',
    'promise * refund',
    'will definitely get * refund',
    'guarantee * compensation',
    'guaranteed compensation',
    'will never happen again',
    'guaranteed to arrive',
  ],
  de: [
    'garantiert erstattet',
    'garantiert * erstattet',
    'garantiert * zurückerstattet',
    'garantiert * zurück',
    'Erstattung * garantiert',
    'Rückerstattung * garantiert',
    'garantierte Erstattung',
    'garantierte Rückerstattung',
    'garantiere * Erstattung',
    'garantiere * Rückerstattung',
    '100% Erstattung',
    '100 % Erstattung',
    'verspreche * Erstattung',
    'versprechen * Erstattung',
    'wird nie wieder vorkommen',
  ],
};

export const ADVICE_PHRASES: Record<AdviceDomain, Record<Language, string[]>> = {
  financial: {
    en: [
      'you should invest',
      'i recommend investing',
      'you should buy * shares',
      'you should buy * stock',
      'you should sell your',
      'guaranteed return',
      'guaranteed returns',
      'put your savings',
      'put your money in',
      'deduct * from your taxes',
      'take out a loan',
    ],
    de: [
      'sollten * investieren',
      'empfehle * zu investieren',
      'kaufen sie * Aktien',
      'verkaufen sie * Aktien',
      'garantierte Rendite',
      'legen sie ihr Geld',
      'steuerlich absetzen',
      'nehmen sie einen Kredit',
    ],
  },
  legal: {
    en: [
      'you should sue',
      'you can sue',
      'legally you are entitled',
      'my legal advice',
      "you don't need a lawyer",
      'you do not need a lawyer',
      'this contract is void',
      'you have a strong case',
    ],
    de: ['sollten * verklagen', 'können * verklagen', 'rechtlich haben sie Anspruch', 'brauchen keinen Anwalt', 'Vertrag ist nichtig', 'gute Chancen vor Gericht'],
  },
  medical: {
    en: [
      'you should take * mg',
      'stop taking your medication',
      "you don't need to see a doctor",
      'you do not need to see a doctor',
      'increase your dose',
      'double the dose',
      'it is safe to take',
    ],
    de: ['nehmen sie * mg', 'setzen sie * Medikament * ab', 'müssen nicht zum Arzt', 'erhöhen sie die Dosis', 'verdoppeln sie die Dosis', 'ist unbedenklich einzunehmen'],
  },
};

/** A word that, in the few words before a phrase, turns a promise into a refusal. */
export const NEGATIONS = /(?<![\p{L}\p{N}])(?:not|never|cannot|can't|can not|no|unable|don't|won't|nicht|kein|keine|keinen|niemals|nie)(?![\p{L}\p{N}])/iu;
