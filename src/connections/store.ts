/**
 * Stored vendor connections. Settings and credentials are validated with the vendor's own schemas
 * (integrations/registry.ts); credentials are sealed before they touch the database and are never
 * returned: the public view lists only which credential fields are set.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, or } from 'drizzle-orm';
import { z } from 'zod';
import { connectorFactory, vendorFor } from '../../integrations/registry.ts';
import type { Connector, ConnectorOptions } from '../../integrations/types.ts';
import { recordAudit } from '../audit.ts';
import type { Tx } from '../db/client.ts';
import { connections } from '../db/schema/index.ts';
import { decryptJson, encryptJson, type Keyring } from '../security/encryption.ts';
import { resealRows, type ResealResult } from '../security/reseal.ts';
import { credentialsPlace, openConnection } from './open.ts';
import { vendorUrlProblem, type VendorUrlPolicy } from './vendor-urls.ts';

export type { VendorUrlPolicy } from './vendor-urls.ts';

export type ConnectionRow = typeof connections.$inferSelect;

export class ConnectionInputError extends Error {
  override name = 'ConnectionInputError';
}

export const NewConnection = z
  .object({
    vendor: z.string().min(1),
    name: z.string().trim().min(1).max(100).regex(/^[\w.-]+$/, 'use letters, digits, ".", "_" or "-"'),
    settings: z.record(z.string(), z.unknown()),
    credentials: z.record(z.string(), z.unknown()),
    schedule: z
      .string()
      .trim()
      .regex(/^(\S+\s+){4}\S+$/, 'must be a 5-field cron expression, e.g. "*/15 * * * *"')
      .nullish(),
  })
  .strict();
export type NewConnection = z.infer<typeof NewConnection>;

function describeIssues(what: string, error: z.ZodError): string {
  const issue = error.issues[0];
  return `${what}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`;
}

function factoryFor(vendor: string) {
  const factory = connectorFactory(vendor);
  if (!factory) throw new ConnectionInputError(`unsupported vendor "${vendor}"`);
  return factory;
}

/** Validates settings and credentials with the vendor's schemas and URL policy; throws a readable error. */
export function validateConnection(input: NewConnection, urlPolicy: VendorUrlPolicy) {
  const factory = factoryFor(input.vendor);
  const settings = factory.settingsSchema.safeParse(input.settings);
  if (!settings.success) throw new ConnectionInputError(describeIssues('settings', settings.error));
  const urlProblem = vendorUrlProblem(vendorFor(input.vendor)!, settings.data as Record<string, unknown>, urlPolicy);
  if (urlProblem) throw new ConnectionInputError(urlProblem);
  const credentials = factory.credentialsSchema.safeParse(input.credentials);
  // Credential problems name the field, never echo the value.
  if (!credentials.success) throw new ConnectionInputError(describeIssues('credentials', credentials.error).replace(/\(got .*\)$/, ''));
  return { factory, settings: settings.data as Record<string, unknown>, credentials: credentials.data as Record<string, unknown> };
}

export interface PublicConnection {
  id: string;
  vendor: string;
  name: string;
  settings: Record<string, unknown>;
  credentials: { type: string | null; fields: string[] };
  schedule: string | null;
  cursor: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

export function publicConnection(row: ConnectionRow, keyring: Keyring): PublicConnection {
  let fields: string[] = [];
  let type: string | null = null;
  try {
    const credentials = decryptJson(keyring, row.credentialsEncrypted, credentialsPlace(row.id)) as Record<string, unknown>;
    fields = Object.keys(credentials).filter((key) => key !== 'type');
    type = typeof credentials.type === 'string' ? credentials.type : null;
  } catch {
    fields = ['(sealed with a key that is not configured)'];
  }
  return {
    id: row.id,
    vendor: row.vendor,
    name: row.name,
    settings: row.settings,
    credentials: { type, fields },
    schedule: row.schedule,
    cursor: row.cursor,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function createConnection(db: Tx, keyring: Keyring, input: NewConnection, actor: string, urlPolicy: VendorUrlPolicy): Promise<ConnectionRow> {
  const { settings, credentials } = validateConnection(input, urlPolicy);
  const [existing] = await db.select({ id: connections.id }).from(connections).where(eq(connections.name, input.name));
  if (existing) throw new ConnectionInputError(`a connection named "${input.name}" already exists`);
  // The id is chosen here, not by the database, because the sealed credentials are bound to it.
  const id = randomUUID();
  const [row] = await db
    .insert(connections)
    .values({
      id,
      vendor: input.vendor as ConnectionRow['vendor'],
      name: input.name,
      settings,
      credentialsEncrypted: encryptJson(keyring, credentials, credentialsPlace(id)),
      schedule: input.schedule ?? null,
    })
    .returning();
  if (!row) throw new Error('connection insert returned nothing');
  await recordAudit(db, { actor, action: 'connection.created', subjectType: 'connection', subjectId: row.id, details: { vendor: row.vendor, name: row.name } });
  return row;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findConnection(db: Tx, idOrName: string): Promise<ConnectionRow | null> {
  const where = UUID.test(idOrName) ? or(eq(connections.id, idOrName), eq(connections.name, idOrName)) : eq(connections.name, idOrName);
  const [row] = await db.select().from(connections).where(where).limit(1);
  return row ?? null;
}

export async function listConnections(db: Tx): Promise<ConnectionRow[]> {
  return db.select().from(connections).orderBy(connections.name);
}

/** Removes the connection and everything harvested from it (conversations, messages, runs). */
export async function deleteConnection(db: Tx, row: ConnectionRow, actor: string): Promise<void> {
  await db.delete(connections).where(eq(connections.id, row.id));
  await recordAudit(db, { actor, action: 'connection.deleted', subjectType: 'connection', subjectId: row.id, details: { vendor: row.vendor, name: row.name } });
}

/** Builds the vendor connector; a refreshed OAuth token is sealed and stored again (open.ts). */
export function connectorFor(db: Tx, keyring: Keyring, row: ConnectionRow, options: ConnectorOptions = {}): Connector {
  const factory = factoryFor(row.vendor);
  const opened = openConnection(db, keyring, row);
  const settings = factory.settingsSchema.parse(opened.settings);
  const credentials = factory.credentialsSchema.parse(opened.credentials);
  return factory.create(settings, credentials, { ...options, onCredentialsRefreshed: opened.onCredentialsRefreshed });
}

/** Re-seals every connection's credentials with the current key, bound to its row (src/security/reseal.ts). */
export async function rekeyConnections(db: Tx, keyring: Keyring, actor: string): Promise<ResealResult> {
  const rows = await db.select({ id: connections.id, sealed: connections.credentialsEncrypted }).from(connections);
  const result = await resealRows(keyring, rows, credentialsPlace, async (id, sealed, previous) => {
    const updated = await db
      .update(connections)
      .set({ credentialsEncrypted: sealed, updatedAt: new Date() })
      .where(and(eq(connections.id, id), eq(connections.credentialsEncrypted, previous)))
      .returning({ id: connections.id });
    return updated.length > 0;
  });
  if (result.resealed) await recordAudit(db, { actor, action: 'connections.rekeyed', subjectType: 'connection', subjectId: '*', details: { changed: result.resealed } });
  return result;
}
