/**
 * Shared setup for the Salesforce suites: a sandbox per test on loopback, connectors built the way
 * the hub builds them, and small collectors. No database: batches are kept in memory.
 */
import { afterEach, expect } from 'vitest';
import { createSalesforceConnector, type SalesforceConnectorOptions } from '../../integrations/salesforce/connector.ts';
import { createSalesforceSandbox, type SalesforceSandboxOptions } from '../../integrations/salesforce/sandbox/index.ts';
import type { SalesforceCredentials } from '../../integrations/salesforce/settings.ts';
import { VendorError, type Connector, type Conversation, type Cursor, type HarvestBatch, type VendorLogger } from '../../integrations/types.ts';

export const SEED = 11;
/** Quick backoff for failures without Retry-After; Retry-After itself is always honoured. */
export const FAST: SalesforceConnectorOptions = { retryPolicy: { baseDelayMs: 2, maxDelayMs: 20 } };

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

export async function startSandbox(options: SalesforceSandboxOptions = {}) {
  const sandbox = createSalesforceSandbox({ seed: SEED, cases: 60, ...options });
  const { url, close } = await sandbox.listen();
  closers.push(close);
  return { sandbox, url };
}

export type Sandbox = Awaited<ReturnType<typeof startSandbox>>['sandbox'];

export function passwordCredentials(sandbox: Sandbox, viaOAuth = false): Extract<SalesforceCredentials, { type: 'password' }> {
  const c = sandbox.credentials;
  return {
    type: 'password',
    username: c.username,
    password: c.password,
    securityToken: c.securityToken,
    ...(viaOAuth ? { clientId: c.clientId, clientSecret: c.clientSecret } : {}),
  };
}

/** A test's batchSize also sizes its queries (a query holds up to 200 cases otherwise), so small batches still mean many calls. */
export function connectorFor(url: string, credentials: SalesforceCredentials, options: SalesforceConnectorOptions = {}): Connector {
  return createSalesforceConnector({ instanceUrl: url, apiVersion: '62.0' }, credentials, { ...FAST, ...(options.batchSize ? { pageSize: options.batchSize } : {}), ...options });
}

export async function collect(connector: Connector, cursor: Cursor | null = null, signal?: AbortSignal): Promise<HarvestBatch[]> {
  const batches: HarvestBatch[] = [];
  for await (const batch of connector.harvest(cursor, signal ? { signal } : {})) batches.push(batch);
  return batches;
}

export function conversationsOf(batches: HarvestBatch[]): Conversation[] {
  return batches.flatMap((batch) => batch.conversations);
}

export async function failureOf(promise: Promise<unknown>): Promise<VendorError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(VendorError);
  return error as VendorError;
}

export function memoryLog(): VendorLogger & { lines: Array<{ level: string; msg: string | undefined; obj: object }> } {
  const lines: Array<{ level: string; msg: string | undefined; obj: object }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, msg, obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn') };
}

export const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();
