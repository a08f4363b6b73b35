/**
 * The `tuneloop` command. Each command group lives in src/cli/ and registers itself here.
 * Run it as `npm run tuneloop -- <command>` or `npx tuneloop <command>`.
 */
import { Command } from 'commander';
import { registerAdminCommands } from './cli/admin.ts';
import { registerAlertCommands } from './cli/serving/alerts.ts';
import { registerConnectionCommands } from './cli/harvest/connections.ts';
import { registerDatasetCommands } from './cli/datasets/dataset.ts';
import { registerDraftCommands } from './cli/serving/draft.ts';
import { registerEventCommands } from './cli/serving/events.ts';
import { registerDriftCommands } from './cli/models/drift.ts';
import { registerRetrainCommands } from './cli/models/retrain.ts';
import { registerGdprCommands } from './cli/datasets/gdpr.ts';
import { registerHarvestCommands } from './cli/harvest/harvest.ts';
import { registerModelCommands } from './cli/models/models.ts';
import { registerInferenceCommands } from './cli/models/inference.ts';
import { registerPiiCommands } from './cli/datasets/pii.ts';
import { registerReviewCommands } from './cli/models/review.ts';
import { registerSandboxCommands } from './cli/sandbox.ts';
import { registerServeCommands } from './cli/serve.ts';
import { registerSlackCommands } from './cli/slack/slack.ts';
import { registerTokenCommands } from './cli/token.ts';
import { registerTrainCommands } from './cli/training/train.ts';
import { registerWorkerSetup } from './cli/worker-setup.ts';
import { registerZendeskCommands } from './cli/harvest/zendesk.ts';

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
registerInferenceCommands(program);
registerPiiCommands(program);
registerZendeskCommands(program);
registerSlackCommands(program);

await program.parseAsync(process.argv);
