/** Every `/tuneloop` sub-command, one file each, in the order `help` lists them. */
import { alertsCommand } from './alerts.ts';
import type { SubCommand } from './command.ts';
import { draftCommand } from './draft.ts';
import { evalCommand } from './eval.ts';
import { harvestCommand } from './harvest.ts';
import { helpCommand } from './help.ts';
import { promoteCommand, rollbackCommand } from './promote.ts';
import { retrainCommand } from './retrain.ts';
import { runsCommand } from './runs.ts';
import { statusCommand } from './status.ts';

export const COMMANDS: readonly SubCommand[] = [
  helpCommand(() => COMMANDS),
  statusCommand,
  harvestCommand,
  retrainCommand,
  runsCommand,
  evalCommand,
  promoteCommand,
  rollbackCommand,
  draftCommand,
  alertsCommand,
];

export function findCommand(name: string): SubCommand | null {
  return COMMANDS.find((command) => command.name === name.toLowerCase()) ?? null;
}
