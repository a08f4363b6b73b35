/**
 * Loads and compiles the compliance policy file. Every policy is validated with zod and its
 * detector compiled once; a bad file stops with one line naming the file, the policy and the
 * field, never starting with half the rules.
 *
 *   const policies = loadPolicies('policies/compliance.yaml');
 *   policies.scan({ authorRole, visibility, body }) → [{ policy, evidence }]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { compileDetector, type Detector, type MessageToScan } from './detectors.ts';
import { PolicyFileSchema, PolicySchema, type Policy } from './schema.ts';
import { UnsafePatternError } from './safe-regex.ts';
import type { EvidenceSpan } from '../../../db/schema/index.ts';

export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

export interface CompiledPolicy {
  policy: Policy;
  detector: Detector;
}

export interface Finding {
  policy: Policy;
  evidence: EvidenceSpan[];
}

export interface PolicySet {
  /** Where they came from, for messages. */
  source: string;
  policies: CompiledPolicy[];
  /** Changes whenever any policy changes: messages scanned with another hash are rescanned. */
  hash: string;
  scan(message: MessageToScan): { findings: Finding[]; errors: Array<{ policyId: string; error: string }> };
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid'}`;
}

/** Validates and compiles parsed YAML; `source` names the file in errors. */
export function compilePolicies(input: unknown, source: string): PolicySet {
  const file = PolicyFileSchema.safeParse(input);
  if (!file.success) throw new PolicyFileError(`${source}: ${describe(file.error)}`);
  const compiled: CompiledPolicy[] = [];
  const seen = new Set<string>();
  file.data.policies.forEach((raw, index) => {
    const rawId = raw && typeof raw === 'object' && 'id' in raw && typeof raw.id === 'string' ? raw.id : null;
    const name = rawId ? `policy "${rawId}"` : `policy #${index + 1}`;
    const parsed = PolicySchema.safeParse(raw);
    if (!parsed.success) throw new PolicyFileError(`${source}: ${name}: ${describe(parsed.error)}`);
    const policy = parsed.data;
    if (seen.has(policy.id)) throw new PolicyFileError(`${source}: ${name}: id is used twice`);
    seen.add(policy.id);
    if (policy.detector.type === 'pii_outbound' && policy.scope !== 'outbound') throw new PolicyFileError(`${source}: ${name}: scope: pii_outbound policies check agents' replies, so scope must be outbound`);
    try {
      if (policy.enabled) compiled.push({ policy, detector: compileDetector(policy.detector) });
    } catch (error) {
      if (error instanceof UnsafePatternError) throw new PolicyFileError(`${source}: ${name}: detector.pattern: ${error.message}`);
      throw error;
    }
  });
  const hash = createHash('sha256')
    .update(JSON.stringify(compiled.map((c) => c.policy)))
    .digest('base64url');
  return {
    source,
    policies: compiled,
    hash,
    scan: (message) => scanWith(compiled, message),
  };
}

export function loadPolicies(path: string): PolicySet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyFileError(`${path}: cannot be read (${error instanceof Error && 'code' in error ? String(error.code) : 'unknown error'})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new PolicyFileError(`${path}: not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return compilePolicies(parsed, path);
}

/**
 * Which policies look at a message. Inbound: customer messages. Outbound: agent and bot messages
 * that are public: internal notes never reach the customer, so promises, advice and PII in them
 * are not a compliance event. System messages are never scanned.
 */
export function inScope(policy: Policy, message: MessageToScan): boolean {
  if (message.authorRole === 'system') return false;
  const inbound = message.authorRole === 'customer';
  if (inbound) return policy.scope !== 'outbound';
  if (message.visibility === 'internal') return false;
  return policy.scope !== 'inbound';
}

function scanWith(policies: CompiledPolicy[], message: MessageToScan) {
  const findings: Finding[] = [];
  const errors: Array<{ policyId: string; error: string }> = [];
  for (const { policy, detector } of policies) {
    if (!inScope(policy, message)) continue;
    try {
      const evidence = detector(message.body);
      if (evidence.length) findings.push({ policy, evidence });
    } catch (error) {
      // One broken rule must not hide the others' findings; the caller records it.
      errors.push({ policyId: policy.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { findings, errors };
}
