/**
 * `tuneloop alerts list|show|ack|escalate|resolve|false-positive|scan`. Decisions made here are
 * audited with the actor `cli` and update the alert's Slack message through the queue (a running
 * worker delivers it). `scan` scans a connection's backlog in this process with a progress bar.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { findConnection } from '../../connections/store.ts';
import type { AlertStatus } from '../../db/schema/index.ts';
import { startQueue } from '../../queue/queue.ts';
import { getAlert, listAlerts, transitionAlert, TransitionError, type Alert } from '../../serving/compliance/alerts/alerts.ts';
import { deliverSalesforceTasks } from '../../serving/compliance/alerts/deliver-tasks.ts';
import { policiesFor } from '../../serving/compliance/handler.ts';
import { PolicyFileError } from '../../serving/compliance/policies/policies.ts';
import { scanBacklog } from '../../serving/compliance/scan.ts';
import { complianceClassifierStage } from '../../serving/compliance/classifier-stage.ts';
import { complianceFigures } from '../../serving/compliance/figures.ts';
import { ALERT_STATUSES } from '../../serving/compliance/alerts/transitions.ts';
import { publicAlert } from '../../web/api/alerts.ts';
import { keyringFor } from '../harvest/connections.ts';
import { fail, quietLogger, withDatabase } from '../context.ts';

const UUID = /^[0-9a-f-]{36}$/i;

function line(alert: Alert): string {
  return `${alert.id}  ${alert.createdAt.toISOString()}  ${alert.severity.padEnd(8)} ${alert.status.padEnd(14)} ${alert.policyId} v${alert.policyVersion}  message ${alert.messageId}`;
}

function decide(alerts: Command, name: string, to: AlertStatus, description: string) {
  alerts
    .command(name)
    .description(description)
    .argument('<id>', 'alert id')
    .option('--note <text>', 'why (stored on the alert and in the audit log)')
    .action(async (id: string, options: { note?: string }) => {
      await withDatabase(async (database, config) => {
        if (!UUID.test(id)) fail(`no alert ${id}`);
        const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log: quietLogger(config) });
        try {
          const alert = await transitionAlert(database.db, queue, id, { to, note: options.note ?? null, actor: 'cli' });
          if (!alert) fail(`no alert ${id}`);
          process.stdout.write(`${line(alert)}\n`);
        } catch (error) {
          if (error instanceof TransitionError) fail(error.message);
          throw error;
        } finally {
          await queue.stop({ timeoutMs: 1_000 });
        }
      });
    });
}

export function registerAlertCommands(program: Command) {
  const alerts = program.command('alerts').description('compliance alerts: list, decide, scan');

  alerts
    .command('list')
    .description('recent alerts, newest first')
    .option('--status <status>', ALERT_STATUSES.join('|'))
    .option('--severity <severity>', 'low|medium|high|critical')
    .option('--policy <id>')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(async (options: { status?: string; severity?: string; policy?: string; limit: string; json?: boolean }) => {
      if (options.status && !ALERT_STATUSES.includes(options.status as AlertStatus)) fail(`--status must be one of ${ALERT_STATUSES.join(', ')}`);
      if (options.severity && !['low', 'medium', 'high', 'critical'].includes(options.severity)) fail('--severity must be low, medium, high or critical');
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) fail('--limit must be 1-500');
      await withDatabase(async ({ db }) => {
        const rows = await listAlerts(db, { status: options.status as AlertStatus | undefined, severity: options.severity as Alert['severity'] | undefined, policyId: options.policy, limit });
        if (options.json) return void process.stdout.write(`${JSON.stringify(rows.map(publicAlert), null, 2)}\n`);
        for (const alert of rows) process.stdout.write(`${line(alert)}\n`);
      });
    });

  alerts
    .command('show')
    .description('one alert as JSON, with its evidence (may contain personal data)')
    .argument('<id>')
    .action(async (id: string) => {
      await withDatabase(async ({ db }) => {
        const alert = UUID.test(id) ? await getAlert(db, id) : null;
        if (!alert) fail(`no alert ${id}`);
        process.stdout.write(`${JSON.stringify(publicAlert(alert), null, 2)}\n`);
      });
    });

  alerts
    .command('figures')
    .description('per source and per policy: messages and documents scanned, alerts, false-positive rate')
    .option('--since <iso-date>', 'only scans and alerts from then on')
    .option('--json', 'print JSON')
    .action(async (options: { since?: string; json?: boolean }) => {
      const since = options.since ? new Date(options.since) : undefined;
      if (since && Number.isNaN(since.getTime())) fail('--since must be a date, e.g. 2026-12-01 or 2026-12-01T08:00:00Z');
      await withDatabase(async ({ db }) => {
        const figures = await complianceFigures(db, { since });
        if (options.json) return void process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
        const pct = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(1)}%`);
        process.stdout.write('source       messages  documents  not scanned            alerts  decided  false-positive rate\n');
        for (const row of figures.sources) {
          const skipped = Object.entries(row.documentsNotScanned).map(([reason, n]) => `${reason}:${n}`).join(',') || '-';
          process.stdout.write(`${row.source.padEnd(12)} ${String(row.messagesScanned).padStart(8)}  ${String(row.documentsScanned).padStart(9)}  ${skipped.padEnd(21)} ${String(row.alerts).padStart(6)}  ${String(row.decided).padStart(7)}  ${pct(row.falsePositiveRate)}\n`);
        }
        process.stdout.write('\npolicy                          alerts  decided  false-positive rate\n');
        for (const row of figures.policies) process.stdout.write(`${row.policyId.padEnd(30)} ${String(row.alerts).padStart(7)}  ${String(row.decided).padStart(7)}  ${pct(row.falsePositiveRate)}\n`);
      });
    });

  decide(alerts, 'ack', 'acknowledged', 'acknowledge an open alert');
  decide(alerts, 'escalate', 'escalated', 'escalate an alert');
  decide(alerts, 'resolve', 'resolved', 'resolve an acknowledged or escalated alert');
  decide(alerts, 'false-positive', 'false_positive', 'mark an alert as a false positive');

  alerts
    .command('scan')
    .description('scan stored messages that were never scanned, changed, or were scanned under other policies')
    .option('--connection <id-or-name>', 'only this connection')
    .action(async (options: { connection?: string }) => {
      await withDatabase(async (database, config) => {
        const log = quietLogger(config);
        let policies;
        try {
          policies = policiesFor(config);
        } catch (error) {
          if (error instanceof PolicyFileError) fail(error.message, 2);
          throw error;
        }
        const connection = options.connection ? await findConnection(database.db, options.connection) : null;
        if (options.connection && !connection) fail(`no connection "${options.connection}"`);
        const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log });
        const bar = new cliProgress.SingleBar({ format: 'scan | {bar} | {value}/{total} messages | {raised} alerts', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5_000, stream: process.stderr }, cliProgress.Presets.shades_classic);
        let started = false;
        try {
          const result = await scanBacklog(database, queue, policies, log, {
            connectionId: connection?.id,
            stage: complianceClassifierStage({ db: database.db, log }),
            onProgress: ({ scanned, total, raised }) => {
              if (!started) bar.start(total, scanned, { raised });
              started = true;
              bar.setTotal(total);
              bar.update(scanned, { raised });
            },
          });
          bar.stop();
          const tasks = await deliverSalesforceTasks({ database, keyring: keyringFor(config), log }, policies, result.raised.map((alert) => alert.id));
          process.stdout.write(`scanned ${result.scanned} messages: ${result.raised.length} new alerts${tasks ? `, ${tasks} Salesforce tasks` : ''}\n`);
        } finally {
          bar.stop();
          await queue.stop({ timeoutMs: 1_000 });
        }
      });
    });
}
