/** `/tuneloop help`: every command with its usage and the role it needs, answered in the acknowledgement. */
import type { SubCommand } from './command.ts';

export function helpCommand(all: () => readonly SubCommand[]): SubCommand {
  return {
    name: 'help',
    role: null,
    usage: '/tuneloop help',
    summary: 'this list',
    async run() {
      const lines = all().map((command) => `\`${command.usage}\` — ${command.summary}${command.role ? ` _(${command.role})_` : ''}`);
      return { ack: { text: `*tuneloop* — retrain, watch, compare and promote from Slack\n${lines.join('\n')}` } };
    },
  };
}
