/**
 * The email connector against a real Dovecot (started here on a loopback port with a throwaway
 * store): the connection test names wrong credentials, TLS and a missing mailbox; the harvest
 * threads mail by Message-ID/References, separates quoted replies, and resumes from its
 * UIDVALIDITY/UID cursor without missing or repeating a mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorFactory } from '../../integrations/registry.ts';
import type { Connector, Conversation, Cursor } from '../../integrations/types.ts';
import { startDovecot, type RunningDovecot } from '../../integrations/email/sandbox/dovecot.ts';
import { rawMail } from '../support/mail.ts';

const USER = { username: 'officer', password: 'right-password' };

describe('email connector on Dovecot', () => {
  let dovecot: RunningDovecot;
  const connector = (settings: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}): Connector => {
    const factory = connectorFactory('email');
    if (!factory) throw new Error('no email connector');
    const parsedSettings = factory.settingsSchema.parse({ host: dovecot.host, port: dovecot.port, tls: false, agentAddresses: ['@company.test'], ...settings });
    const parsedCredentials = factory.credentialsSchema.parse({ type: 'password', ...USER, ...credentials });
    return factory.create(parsedSettings, parsedCredentials, { batchSize: 2 });
  };
  const harvestAll = async (from: Cursor | null) => {
    const conversations: Conversation[] = [];
    let cursor = from;
    for await (const batch of connector().harvest(from)) {
      conversations.push(...batch.conversations);
      cursor = batch.cursor;
    }
    return { conversations, cursor };
  };

  beforeAll(async () => {
    dovecot = await startDovecot({ users: [USER] });
  });
  afterAll(async () => {
    await dovecot?.close();
  });

  it('tests the connection and says what is wrong', async () => {
    expect(await connector().test()).toMatchObject({ ok: true, detail: expect.stringContaining('logged in') });
    expect(await connector({}, { password: 'wrong' }).test()).toMatchObject({ ok: false, detail: expect.stringContaining('refused the login') });
    expect(await connector({ tls: true }).test()).toMatchObject({ ok: false, detail: expect.stringContaining('TLS') });
    expect(await connector({ mailbox: 'Nowhere' }).test()).toMatchObject({ ok: false, detail: expect.stringContaining('does not exist') });
    expect(() => connectorFactory('email')?.credentialsSchema.parse({ type: 'password', username: 'x' })).toThrow();
  });

  it('threads mail, separates quoted text, and resumes from its cursor', async () => {
    const first = rawMail({ from: 'Jane Customer <jane@customer.test>', subject: 'My order', body: 'Where is my order 123?', date: new Date('2026-12-01T10:00:00Z') });
    await dovecot.deliver(USER, first.raw);
    const reply = rawMail({
      from: 'Sam Agent <sam@company.test>',
      subject: 'Re: My order',
      body: 'It ships tomorrow.\n\nOn Mon, Jane Customer wrote:\n> Where is my order 123?',
      inReplyTo: first.messageId,
      references: [first.messageId],
      date: new Date('2026-12-01T11:00:00Z'),
    });
    await dovecot.deliver(USER, reply.raw);
    const other = rawMail({ from: 'bob@customer.test', subject: 'Invoice', body: 'Please resend the invoice.' });
    await dovecot.deliver(USER, other.raw);

    const { conversations, cursor } = await harvestAll(null);
    const thread = conversations.find((c) => c.sourceId === first.messageId);
    expect(thread?.subject).toBe('My order');
    expect(thread?.messages.map((m) => [m.authorRole, m.body])).toEqual([
      ['customer', 'Where is my order 123?'],
      ['agent', 'It ships tomorrow.'],
    ]);
    expect(conversations.some((c) => c.sourceId === other.messageId)).toBe(true);
    expect(cursor).toMatchObject({ lastUid: 3, uidValidity: expect.stringMatching(/^\d+$/) });

    // Nothing new: nothing again. A new reply: its whole thread, and nothing else.
    expect((await harvestAll(cursor)).conversations).toEqual([]);
    const late = rawMail({ from: 'jane@customer.test', subject: 'Re: My order', body: 'Thanks!', inReplyTo: reply.messageId, references: [first.messageId, reply.messageId] });
    await dovecot.deliver(USER, late.raw);
    const next = await harvestAll(cursor);
    expect(next.conversations.map((c) => [c.sourceId, c.messages.length])).toEqual([[first.messageId, 3]]);
    expect(next.cursor).toMatchObject({ lastUid: 4 });
    // A cursor from another UIDVALIDITY reads the mailbox again (upserts keep it from repeating).
    const again = await harvestAll({ uidValidity: '1', lastUid: 4 });
    expect(new Set(again.conversations.map((c) => c.sourceId))).toEqual(new Set([first.messageId, other.messageId]));
  });

  it('fails the harvest with the reason when the mailbox is gone', async () => {
    await dovecot.createMailbox(USER, 'Legal');
    await dovecot.deleteMailbox(USER, 'Legal');
    await expect(harvestAllFrom(connector({ mailbox: 'Legal' }))).rejects.toThrow(/mailbox "Legal" does not exist/);
  });
});

async function harvestAllFrom(connector: Connector) {
  for await (const batch of connector.harvest(null)) void batch;
}
