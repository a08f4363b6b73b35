/**
 * zValidator with our error shape: the first problem, named by its path, as a 400. Text holding
 * U+0000 is refused here too: PostgreSQL cannot store it, and a 500 later would be our fault.
 */
import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import type { z } from 'zod';
import { containsNul } from '../db/without-nul.ts';
import { errorBody } from './errors.ts';

export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(target, schema, (result, c) => {
    if (result.success) {
      if (containsNul(result.data)) return c.json(errorBody('invalid_request', `${target}: text must not contain the NUL character (U+0000)`), 400);
      return;
    }
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return c.json(errorBody('invalid_request', `${target} ${where}${issue?.message ?? 'invalid'}`), 400);
  });
}
