/**
 * The shape of a compliance policy file (policies/compliance.yaml), validated with zod at load.
 * A policy says what to look for (its detector), in which messages (scope), how bad it is
 * (severity) and who owns it; `version` is stored on every alert it raises, so a changed rule
 * can be told apart from the one that raised an old alert.
 */
import { z } from 'zod';
import { PII_TYPES } from '../../../datasets/pii/index.ts';

const phraseList = z.array(z.string().trim().min(2, 'a phrase needs at least 2 characters').max(200)).max(500);

/** Words, case-insensitive, matched on word boundaries (umlauts and ß count as letters). */
const keyword = z.object({ type: z.literal('keyword'), terms: phraseList.min(1, 'needs at least one term') }).strict();

/** A regular expression; `flags` from i, m, s, u (g is always added). */
const regex = z
  .object({
    type: z.literal('regex'),
    pattern: z.string().min(1).max(1000),
    flags: z.string().regex(/^[imsu]*$/, 'flags may only be i, m, s and u').default('i'),
  })
  .strict();

/** Personal data in an agent's or bot's public reply (the dataset pipeline's PII detector). */
const piiOutbound = z
  .object({
    type: z.literal('pii_outbound'),
    types: z.array(z.enum(PII_TYPES)).min(1).default(['EMAIL', 'PHONE', 'IBAN', 'CARD']),
    /** A span shorter than this is ignored (e.g. a 3-digit ID). */
    minLength: z.number().int().min(1).max(100).default(5),
    /**
     * The company's own contact data, which agents share on purpose: exact values (compared without
     * case, spaces, dashes, dots and parentheses) or `@domain` for every address at that domain.
     */
    allow: z.array(z.string().trim().min(3).max(200)).max(500).default([]),
  })
  .strict();

const languages = z.array(z.enum(['en', 'de'])).min(1).default(['en', 'de']);

/** Promises nobody may make (guaranteed refunds, outcomes). Built-in phrases per language, plus yours. */
const forbiddenPromise = z.object({ type: z.literal('forbidden_promise'), languages, phrases: phraseList.default([]) }).strict();

/** Financial, legal or medical advice that support must not give. Built-in phrases per language, plus yours. */
const regulatedAdvice = z
  .object({
    type: z.literal('regulated_advice'),
    languages,
    domains: z.array(z.enum(['financial', 'legal', 'medical'])).min(1).default(['financial', 'legal', 'medical']),
    phrases: phraseList.default([]),
  })
  .strict();

export const DetectorSchema = z.discriminatedUnion('type', [keyword, regex, piiOutbound, forbiddenPromise, regulatedAdvice]);
export type DetectorSpec = z.infer<typeof DetectorSchema>;

export const PolicySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,79}$/, 'must be lowercase letters, digits, . _ - (2-80 characters)'),
    version: z.number().int().positive(),
    description: z.string().min(1).max(500),
    severity: z.enum(['low', 'medium', 'high', 'critical']),
    /** inbound: customer messages; outbound: agent and bot messages; both. */
    scope: z.enum(['inbound', 'outbound', 'both']),
    owner: z.string().min(1).max(200),
    enabled: z.boolean().default(true),
    detector: DetectorSchema,
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;

export const PolicyFileSchema = z
  .object({
    /** The file format, not a policy's version. */
    format: z.literal(1),
    policies: z.array(z.unknown()).min(1, 'lists no policies'),
  })
  .strict();
