/**
 * Small pieces the sandbox routes share: Zendesk's error bodies and id/cursor parsing.
 * Error bodies as the API sends them, e.g. {"error":"RecordNotFound","description":"Not found"}.
 */
import type { Context } from 'hono';
import type { SandboxEnv } from './faults.ts';

export function recordNotFound(c: Context<SandboxEnv>) {
  return c.json({ error: 'RecordNotFound', description: 'Not found' }, 404);
}

export function invalidEndpoint(c: Context<SandboxEnv>) {
  return c.json({ error: 'InvalidEndpoint', description: 'Not found' }, 404);
}

export function forbidden(c: Context<SandboxEnv>) {
  return c.json({ error: 'Forbidden', description: 'You do not have access to this resource' }, 403);
}

export function invalidValue(c: Context<SandboxEnv>, description: string, status: 400 | 422 = 400) {
  return c.json({ error: 'InvalidValue', description }, status);
}

export function recordInvalid(c: Context<SandboxEnv>, details: string) {
  return c.json({ error: 'RecordInvalid', description: 'Record validation errors', details: { base: [{ description: details }] } }, 422);
}

/** A positive integer id from a path segment, or null. */
export function parseId(raw: string | undefined): number | null {
  if (!raw || !/^\d{1,16}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

export function encodeCursor(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(cursor)) return null;
  return Buffer.from(cursor, 'base64').toString('utf8');
}

/** Zendesk stores tags lower-case, with spaces turned into separate tags' underscores. */
export function normalizeTags(tags: string[]): string[] {
  return [...new Set(tags.map((tag) => tag.trim().toLowerCase().replace(/\s+/g, '_')).filter(Boolean))];
}

/** Plain text for a comment that arrived as html_body. */
export function htmlToPlain(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>/gi, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}
