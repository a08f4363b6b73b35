/**
 * The `tuneloop` command. Each command group lives in src/cli/ and registers itself here.
 * Run it as `npm run tuneloop -- <command>` or `npx tuneloop <command>`.
 */
import { Command } from 'commander';
import { registerAdminCommands } from './cli/admin.ts';
import { registerAlertCommands } from './cli/alerts.ts';
import { registerConnectionCommands } from './cli/connections.ts';
import { registerDatasetCommands } from './cli/dataset.ts';
import { registerDraftCommands } from './cli/draft.ts';
import { registerEventCommands } from './cli/events.ts';
import { registerDriftCommands } from './cli/drift.ts';
import { registerRetrainCommands } from './cli/retrain.ts';
import { registerGdprCommands } from './cli/gdpr.ts';
import { registerHarvestCommands } from './cli/harvest.ts';
import { registerModelCommands } from './cli/models.ts';
import { registerPiiCommands } from './cli/pii.ts';
import { registerReviewCommands } from './cli/review.ts';
import { registerSandboxCommands } from './cli/sandbox.ts';
import { registerServeCommands } from './cli/serve.ts';
import { registerTokenCommands } from './cli/token.ts';
import { registerTrainCommands } from './cli/train.ts';
import { registerWorkerSetup } from './cli/worker-setup.ts';
import { registerZendeskCommands } from './cli/zendesk.ts';

const program = new Command('tuneloop')
  .description('self-hosted fine-tuning hub for support and compliance teams')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

const worker = registerServeCommands(program);
registerWorkerSetup(worker);
registerTokenCommands(program);
registerAdminCommands(program);
registerConnectionCommands(program);
registerHarvestCommands(program);
registerAlertCommands(program);
registerDatasetCommands(program);
registerDraftCommands(program);
registerEventCommands(program);
registerDriftCommands(program);
registerRetrainCommands(program);
registerGdprCommands(program);
registerReviewCommands(program);
registerSandboxCommands(program);
registerTrainCommands(program);
registerModelCommands(program);
registerPiiCommands(program);
registerZendeskCommands(program);

await program.parseAsync(process.argv);
