/**
 * The words of a command: split on spaces, with "double quotes" keeping spaces together, and
 * `--flag value` / `--flag` options apart from the positional words.
 */
export interface CommandArgs {
  words: string[];
  flags: Map<string, string | true>;
}

export function splitWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|“([^”]*)”|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

export function parseArgs(words: string[]): CommandArgs {
  const args: CommandArgs = { words: [], flags: new Map() };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word.startsWith('--') && word.length > 2) {
      const next = words[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        args.flags.set(word.slice(2), next);
        i++;
      } else args.flags.set(word.slice(2), true);
    } else args.words.push(word);
  }
  return args;
}
