/** One `/tuneloop` sub-command: its name, the role it needs, its usage line, and what it does. */
import type { SlackAnswer, SlackCommand } from '../../../integrations/types.ts';
import type { Role } from '../../auth/roles.ts';
import type { SlackContext } from '../context.ts';
import type { CommandArgs } from './args.ts';

export interface CommandRun {
  ctx: SlackContext;
  input: SlackCommand;
  args: CommandArgs;
  actor: string;
}

export interface SubCommand {
  name: string;
  /** null: anyone in the workspace (help). */
  role: Role | null;
  usage: string;
  summary: string;
  run(run: CommandRun): Promise<SlackAnswer>;
}

/** The ephemeral usage answer for a command used wrongly. */
export class UsageError extends Error {
  override name = 'UsageError';
}
