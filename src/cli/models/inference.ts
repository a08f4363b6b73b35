/** `tuneloop inference token|alias|usage`: scoped tokens, model aliases and usage of the inference API. */
import type { Command } from 'commander';
import { AliasError, AliasName, listAliases, removeAlias, setAlias, USAGE_GROUPS, usageReport, type UsageGroup } from '../../models/gateway/admin.ts';
import { createInferenceToken, listInferenceTokens, NewInferenceToken, publicInferenceToken, revokeInferenceToken } from '../../models/gateway/tokens.ts';
import { fail, withDatabase } from '../context.ts';

const collect = (value: string, previous: string[]) => [...previous, value];
const number = (flag: string, value: string | undefined) => {
  if (value === undefined) return null;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) fail(`${flag} must be a positive number`, 2);
  return parsed;
};

export function registerInferenceCommands(program: Command) {
  const inference = program.command('inference').description('the OpenAI-compatible inference API: tokens, aliases, usage');
  const token = inference.command('token').description('inference tokens (they call models, nothing else)');

  token
    .command('create')
    .description('create a token limited to models and/or tasks, and print it once')
    .requiredOption('-n, --name <name>', 'what the token is for, e.g. "helpdesk-app"')
    .option('--model <id-or-alias>', 'a model it may call (repeatable)', collect, [])
    .option('--task <task>', 'a task whose models it may call (repeatable; "*" for every task)', collect, [])
    .option('--rpm <n>', 'requests per minute')
    .option('--tpm <n>', 'tokens per minute (prompt + max_tokens)')
    .option('--budget <usd>', 'monthly budget in USD (warning at 80 %)')
    .option('--refuse-over-budget', 'answer 429 once the budget is spent (default: only warn)')
    .action(async (options: { name: string; model: string[]; task: string[]; rpm?: string; tpm?: string; budget?: string; refuseOverBudget?: boolean }) => {
      const parsed = NewInferenceToken.safeParse({
        name: options.name,
        models: options.model,
        tasks: options.task,
        requests_per_minute: number('--rpm', options.rpm),
        tokens_per_minute: number('--tpm', options.tpm),
        monthly_budget_usd: number('--budget', options.budget),
        budget_action: options.refuseOverBudget ? 'refuse' : 'warn',
      });
      if (!parsed.success) fail(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'token'}: ${issue.message}`).join('; '), 2);
      const created = await withDatabase(({ db }) => db.transaction((tx) => createInferenceToken(tx, parsed.data, 'cli')));
      process.stderr.write(`Created inference token "${created.row.name}" (${created.row.id}). It is shown only now:\n`);
      process.stdout.write(`${created.token}\n`);
    });

  token
    .command('list')
    .description('list inference tokens (never their values)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = (await withDatabase(({ db }) => listInferenceTokens(db))).map(publicInferenceToken);
      if (options.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      for (const row of rows) {
        const scope = [...row.models.map((m) => `model ${m}`), ...row.tasks.map((t) => `task ${t}`)].join(', ');
        process.stdout.write(`${row.id}  ${row.prefix}…  ${row.name}  [${scope}]${row.revoked_at ? '  revoked' : ''}\n`);
      }
    });

  token
    .command('revoke')
    .description('revoke an inference token by id or name')
    .argument('<id-or-name>')
    .action(async (idOrName: string) => {
      const count = await withDatabase(({ db }) => db.transaction((tx) => revokeInferenceToken(tx, idOrName, 'cli')));
      if (count === 0) fail(`no active inference token with id or name "${idOrName}"`);
      process.stdout.write(`revoked ${count} token${count === 1 ? '' : 's'}\n`);
    });

  const alias = inference.command('alias').description('names for models, usable wherever a model is named');
  alias
    .command('set')
    .argument('<name>')
    .argument('<model-id>')
    .description('point NAME at a model (moves it if it exists)')
    .action(async (name: string, modelId: string) => {
      const valid = AliasName.safeParse(name);
      if (!valid.success) fail(`alias: ${valid.error.issues[0]?.message}`, 2);
      try {
        await withDatabase(({ db }) => db.transaction((tx) => setAlias(tx, name, modelId, 'cli')));
      } catch (error) {
        if (error instanceof AliasError) fail(error.message);
        throw error;
      }
      process.stdout.write(`${name} → ${modelId}\n`);
    });
  alias
    .command('list')
    .description('list aliases')
    .action(async () => {
      for (const row of await withDatabase(({ db }) => listAliases(db))) process.stdout.write(`${row.name}  → ${row.modelId}\n`);
    });
  alias
    .command('remove')
    .argument('<name>')
    .description('remove an alias')
    .action(async (name: string) => {
      if (!(await withDatabase(({ db }) => db.transaction((tx) => removeAlias(tx, name, 'cli'))))) fail(`no alias "${name}"`);
      process.stdout.write(`removed ${name}\n`);
    });

  inference
    .command('usage')
    .description('requests, tokens, cost and latency of the inference API')
    .option('--group-by <group>', `one of ${USAGE_GROUPS.join(', ')}`, 'model')
    .option('--days <n>', 'how many days back', '30')
    .option('--json', 'print JSON')
    .action(async (options: { groupBy: string; days: string; json?: boolean }) => {
      if (!USAGE_GROUPS.includes(options.groupBy as UsageGroup)) fail(`--group-by must be one of ${USAGE_GROUPS.join(', ')}`, 2);
      const days = number('--days', options.days) ?? 30;
      const to = new Date(Date.now() + 60_000);
      const lines = await withDatabase(({ db }) => usageReport(db, { groupBy: options.groupBy as UsageGroup, from: new Date(to.getTime() - days * 86_400_000), to }));
      if (options.json) return void process.stdout.write(`${JSON.stringify(lines, null, 2)}\n`);
      if (!lines.length) return void process.stdout.write('no inference requests in that time\n');
      for (const line of lines) {
        process.stdout.write(`${line.label.padEnd(38)}  ${String(line.requests).padStart(7)} req  ${String(line.errors).padStart(5)} err  ${String(line.prompt_tokens).padStart(9)} in  ${String(line.completion_tokens).padStart(9)} out  $${line.cost_usd.toFixed(4)}  p95 ${line.latency_p95_ms ?? '-'} ms\n`);
      }
    });
}
