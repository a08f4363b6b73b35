/**
 * Creates a Task on a Case (compliance alerts): one per alert, even when the job creating it is
 * retried. The Task's Subject carries a marker with the alert id; before creating, a SOQL query
 * looks for a Task with that marker on the Case, so a create whose answer was lost (timeout, crash
 * before the id was stored) is found instead of repeated.
 */
import { z } from 'zod';
import { VendorError, type AlertTasksFactory, type ConnectorOptions, type VendorLogger } from '../types.ts';
import { SalesforceClient } from './client.ts';
import { toVendorError } from './errors.ts';
import { salesforceCredentialsSchema, salesforceSettingsSchema } from './settings.ts';

export interface CaseTaskInput {
  caseId: string;
  /** Our id for the Task, e.g. the alert id; it goes into the Subject as `[tuneloop <key>]`. */
  key: string;
  subject: string;
  description: string;
  priority: 'High' | 'Normal' | 'Low';
}

const TaskRow = z.object({ Id: z.string().min(15) });
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_create.htm
const CreateResult = z.object({ id: z.string().min(15), success: z.literal(true) });

const soqlString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export async function createCaseTask(
  settingsInput: unknown,
  credentialsInput: unknown,
  input: CaseTaskInput,
  options: { log?: VendorLogger; onCredentialsRefreshed?: ConnectorOptions['onCredentialsRefreshed']; signal?: AbortSignal } = {},
): Promise<{ taskId: string; existing: boolean }> {
  const settings = salesforceSettingsSchema.parse(settingsInput);
  const credentials = salesforceCredentialsSchema.parse(credentialsInput);
  const client = new SalesforceClient(settings, credentials, { log: options.log, onCredentialsRefreshed: options.onCredentialsRefreshed });
  const marker = `[tuneloop ${input.key}]`;

  // https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_comparisonoperators.htm
  const existing = await client.query(
    `SELECT Id FROM Task WHERE WhatId = ${soqlString(input.caseId)} AND Subject LIKE ${soqlString(`%${marker}%`)} LIMIT 1`,
    TaskRow,
    'Task lookup',
    options.signal ? { signal: options.signal } : {},
  );
  if (existing[0]) return { taskId: existing[0].Id, existing: true };

  await client.connect(options.signal);
  const subject = `${input.subject} ${marker}`.slice(-255);
  let body: unknown;
  try {
    // One attempt: a create is not idempotent, and the marker lookup above makes the job's retry safe.
    body = await client.conn.request({
      method: 'POST',
      url: `/services/data/v${client.apiVersion}/sobjects/Task`,
      body: JSON.stringify({ WhatId: input.caseId, Subject: subject, Description: input.description.slice(0, 32_000), Priority: input.priority, Status: 'Not Started' }),
      headers: { 'content-type': 'application/json' },
    });
  } catch (error) {
    throw toVendorError(error, { host: client.host });
  }
  const parsed = CreateResult.safeParse(body);
  if (!parsed.success) throw new VendorError('malformed', 'Salesforce returned an unexpected answer to creating a Task');
  return { taskId: parsed.data.id, existing: false };
}

const PRIORITY = { low: 'Low', medium: 'Normal', high: 'High', critical: 'High' } as const;

/** Compliance alerts as Tasks on the Case, one per alert (the alert id is the Task's marker). */
export const salesforceAlertTasks: AlertTasksFactory = {
  create: (settings, credentials, options = {}) => ({
    createTask: (input, signal) =>
      createCaseTask(
        settings,
        credentials,
        { caseId: input.ticketId, key: input.key, subject: input.subject, description: input.description, priority: PRIORITY[input.severity] },
        { ...options, ...(signal ? { signal } : {}) },
      ),
  }),
};
