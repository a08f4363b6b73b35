import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { INTENT_FIELD_ID } from '../../integrations/zendesk/sandbox/store.ts';
import type { Manifest } from '../../src/datasets/manifest.ts';
import { uploadVersion } from '../../src/datasets/upload/version.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { harvestNow } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { createDataset } from '../../src/datasets/versions.ts';
import { addSolvedTicket, allArtifactText, createAndBuild, harvestSandbox, readAllSplits, tempHome, type HarvestedSandbox } from './helpers.ts';

// Personal data planted in tickets (customer messages, agent replies, subjects, a custom field) and
// in an upload. None of it may reach any file in the artifact store.
const PEOPLE = [
  { name: 'Katharina Obermeier', email: 'k.obermeier@web.de' },
  { name: 'Sarah Connor', email: 'sarah.connor1984@gmail.com' },
  { name: 'Mehmet Yılmaz', email: 'mehmet.yilmaz@firma.com.tr' },
  { name: 'Jürgen Weißhaupt', email: 'j.weisshaupt@posteo.de' },
];
const PLANTED = {
  names: ['Katharina Obermeier', 'Sarah Connor', 'Mehmet Yılmaz', 'Jürgen Weißhaupt', 'Obermeier', 'Weißhaupt', 'Zofia Kowalczyk'],
  emails: PEOPLE.map((p) => p.email),
  phones: ['+49 89 12345678', '(415) 555-0132', '+44 20 7946 0958', '0171 9876543'],
  ibans: ['DE89 3704 0044 0532 0130 00', 'GB82WEST12345698765432'],
  cards: ['4111 1111 1111 1111', '5500000000000004'],
  addresses: ['Leopoldstraße 112', '742 Evergreen Terrace'],
  ips: ['203.0.113.77'],
  ids: ['4711-0815-42', 'K-2024-99817'],
};
const TICKETS = [
  {
    person: PEOPLE[0]!,
    subject: 'Bestellung 4711-0815-42 von Katharina Obermeier',
    customer: 'Hallo,\nmein Name ist Katharina Obermeier. Meine Bestellung 4711-0815-42 ist nicht angekommen. Lieferadresse: Leopoldstraße 112, 80802 München. Bitte rufen Sie mich an: +49 89 12345678.\nViele Grüße\nKatharina Obermeier',
    reply: 'Hallo Frau Obermeier,\n\ndanke für Ihre Nachricht. Wir haben die Bestellung 4711-0815-42 an die Leopoldstraße 112 neu verschickt und rufen Sie unter +49 89 12345678 an, sobald sie unterwegs ist.\n\nViele Grüße',
    intent: 'Rückruf für Katharina Obermeier',
  },
  {
    person: PEOPLE[1]!,
    subject: 'Charged twice',
    customer: 'Hi there, this is Sarah Connor (sarah.connor1984@gmail.com). I was charged twice on my card 4111 1111 1111 1111. Call me at (415) 555-0132. I live at 742 Evergreen Terrace.',
    reply: 'Hi Sarah Connor, I am sorry about the double charge on the card ending 4111 1111 1111 1111. I have refunded it and will confirm by email to sarah.connor1984@gmail.com. Best regards',
    intent: 'get_refund',
  },
  {
    person: PEOPLE[2]!,
    subject: 'Refund to my account',
    customer: 'Please refund to GB82WEST12345698765432, account holder Mehmet Yılmaz, mehmet.yilmaz@firma.com.tr, phone +44 20 7946 0958. My colleague Zofia Kowalczyk saw a login from 203.0.113.77.',
    reply: 'Dear Mr Yılmaz, the refund to GB82WEST12345698765432 is on its way; we also blocked the login from 203.0.113.77 and will call +44 20 7946 0958 if anything else comes up.',
    intent: 'get_refund',
  },
  {
    person: PEOPLE[3]!,
    subject: 'Kundennummer K-2024-99817',
    customer: 'Sehr geehrte Damen und Herren, meine IBAN DE89 3704 0044 0532 0130 00 wurde falsch hinterlegt. Kundennummer K-2024-99817, Handy 0171 9876543, Mastercard 5500000000000004.\nJürgen Weißhaupt',
    reply: 'Sehr geehrter Herr Weißhaupt, wir haben Ihre IBAN DE89 3704 0044 0532 0130 00 für die Kundennummer K-2024-99817 korrigiert. Bei Fragen erreichen wir Sie unter 0171 9876543.',
    intent: 'edit_account',
  },
];

describe('planted-PII probe through the whole pipeline', () => {
  let database: TestDatabase;
  let harvested: HarvestedSandbox;
  const home = tempHome();
  const plantedIds: number[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    harvested = await harvestSandbox(database, { seed: 5, tickets: 200, name: 'zd-pii' });
    for (const ticket of TICKETS) plantedIds.push(addSolvedTicket(harvested.sandbox, { requester: ticket.person, subject: ticket.subject, customer: ticket.customer, reply: ticket.reply, intent: ticket.intent }));
    const run = await harvestNow(database, harvested.connection.id);
    expect(run?.status).toBe('succeeded');
  });
  afterAll(async () => {
    await harvested.close();
    await database.drop();
    home.remove();
  });

  const leaksIn = (text: string) =>
    Object.values(PLANTED)
      .flat()
      .filter((value) => text.toLowerCase().includes(value.toLowerCase()));

  it('exports no planted value from reply and triage builds', async () => {
    const connections = [harvested.connection.id];
    const reply = await createAndBuild(database, home.store, { name: 'pii-reply', task: 'reply', config: { connections, filters: { minTargetChars: 10 } } });
    await createAndBuild(database, home.store, {
      name: 'pii-triage',
      task: 'triage',
      config: { connections, labels: { intent: { source: 'custom_field', field: String(INTENT_FIELD_ID) }, priority: { source: 'priority' } } },
    });
    // The planted tickets did make it into both datasets (so the probe tests something).
    const lineage = await database.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM dataset_lineage l JOIN conversations c ON c.id = l.conversation_id
      WHERE c.source_id = ANY(${sql.param(plantedIds.map(String))}::text[])`);
    expect(lineage.rows[0]?.n).toBe(TICKETS.length * 2);
    const manifest = reply.version.manifest as unknown as Manifest;
    expect(manifest.steps.scrub?.replacements.IBAN).toBeGreaterThanOrEqual(4);

    const everything = await allArtifactText(home.store);
    expect(everything).toContain('[IBAN_1]');
    expect(leaksIn(everything)).toEqual([]);
  });

  it('exports no planted value from an upload (no known people there)', async () => {
    const dataset = await createDataset(database.db, { name: 'pii-upload', task: 'reply', config: { connections: [harvested.connection.id] } }, 'test');
    const upload = TICKETS.map((t) => JSON.stringify({ messages: [{ role: 'user', content: `${t.subject}\n\n${t.customer}` }, { role: 'assistant', content: t.reply }] })).join('\n');
    const version = await uploadVersion({ database, store: home.store, log: captureLogger().log }, dataset, 'jsonl', upload, 'test');
    const manifest = version.manifest as unknown as Manifest;
    const text = Object.values(await readAllSplits(home.store, manifest)).flat().join('\n');
    expect(text).toContain('[IBAN_1]');
    expect(leaksIn(text)).toEqual([]);
  });
});
