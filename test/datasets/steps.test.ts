import { describe, expect, it } from 'vitest';
import { parseDatasetConfig, DatasetConfigError } from '../../src/datasets/config.ts';
import { Deduplicator } from '../../src/datasets/steps/dedup.ts';
import { extract } from '../../src/datasets/steps/extract.ts';
import { conversationDropReason, ExampleFilter } from '../../src/datasets/steps/filter.ts';
import { guessLanguage } from '../../src/datasets/language.ts';
import { bandsFor } from '../../src/datasets/steps/minhash.ts';
import { CurationScrubber, rawTexts } from '../../src/datasets/steps/scrub.ts';
import { groupKeyOf, Splitter } from '../../src/datasets/steps/split.ts';
import type { Example, SourceConversation, SourceMessage } from '../../src/datasets/types.ts';

let nextId = 1;
function msg(authorRole: SourceMessage['authorRole'], body: string, visibility: SourceMessage['visibility'] = 'public'): SourceMessage {
  return { id: nextId++, authorRole, author: null, visibility, body, createdAt: new Date('2025-02-01T10:00:00Z') };
}
function conversation(messages: SourceMessage[], extra: Partial<SourceConversation> = {}): SourceConversation {
  return {
    id: nextId++,
    connectionId: '6d1f7c1e-5b9a-4b5e-9a43-0d4b2f0c1a11',
    sourceId: String(nextId),
    subject: 'Refund for order',
    status: 'solved',
    priority: 'high',
    language: 'en',
    tags: ['refund', 'intent_get_refund'],
    customFields: { '101': 'get_refund' },
    requester: { id: '42', name: 'Anna Schmidt', email: 'anna.schmidt@example.com' },
    assignee: { id: '7', name: 'Sam Carter', email: 'sam@support.example.com' },
    organizationId: '900',
    deleted: false,
    createdAt: new Date('2025-02-01T10:00:00Z'),
    updatedAt: new Date('2025-02-01T12:00:00Z'),
    messages,
    ...extra,
  };
}
const config = parseDatasetConfig({ connections: ['6d1f7c1e-5b9a-4b5e-9a43-0d4b2f0c1a11'] });

describe('extract (reply)', () => {
  const conv = conversation([
    msg('customer', 'I was charged twice for my order, please refund one payment.'),
    msg('bot', 'Thank you for contacting us. This is an automated message.'),
    msg('customer', 'It was on Monday.'),
    msg('agent', 'Checked the payment log, duplicate confirmed.', 'internal'),
    msg('agent', 'Sorry about that! I have refunded the duplicate payment; you will see it in 3-5 days.'),
    msg('customer', 'Thanks. And can I change the delivery address?'),
    msg('agent', 'Yes, I have updated the address on your order.'),
    msg('agent', 'Anything else I can help with?'),
  ]);

  it('makes one example per public agent turn, with earlier replies as weight-0 context', () => {
    const { examples } = extract('reply', conv, config, rawTexts(conv), 'g');
    expect(examples).toHaveLength(2);
    const [first, second] = examples as [Example, Example];
    expect(first.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(first.messages[1]?.content).toBe('Subject: Refund for order\n\nI was charged twice for my order, please refund one payment.\n\nIt was on Monday.');
    expect(first.messages[2]).toEqual({ role: 'assistant', content: 'Sorry about that! I have refunded the duplicate payment; you will see it in 3-5 days.', weight: 1 });
    expect(second.messages.map((m) => [m.role, m.weight])).toEqual([['system', undefined], ['user', undefined], ['assistant', 0], ['user', undefined], ['assistant', 1]]);
    // Consecutive agent messages are one reply; lineage ends with the target's messages.
    expect(second.target).toBe('Yes, I have updated the address on your order.\n\nAnything else I can help with?');
    const ids = conv.messages.map((m) => m.id);
    expect(first.messageIds).toEqual([ids[0], ids[2], ids[4]]);
    expect(second.messageIds.slice(-2)).toEqual([ids[6], ids[7]]);
  });

  it('never targets internal notes or bots, and uses them as context only when asked', () => {
    const withNotes = parseDatasetConfig({ context: { internalNotes: true, botMessages: true } });
    const { examples } = extract('reply', conv, withNotes, rawTexts(conv), 'g');
    expect(examples).toHaveLength(2);
    for (const example of examples) expect(example.messages.at(-1)?.content).not.toMatch(/Checked the payment log|automated/);
    const roles = examples[0]?.messages.map((m) => m.role);
    expect(roles).toEqual(['system', 'user', 'system', 'user', 'system', 'assistant']);
    expect(examples[0]?.messages[4]?.content).toBe('Internal note (not visible to the customer):\nChecked the payment log, duplicate confirmed.');
    expect(examples[0]?.messages[2]?.content).toMatch(/^Automated message:\n/);
  });

  it('skips agent messages that answer no customer', () => {
    const outbound = conversation([msg('agent', 'Hello, your subscription renews next week.'), msg('agent', 'Reminder: it renews tomorrow.', 'public')]);
    expect(extract('reply', outbound, config, rawTexts(outbound), 'g')).toEqual({ examples: [], skipped: { no_customer_message: 1 } });
  });

  it('returns nothing for preference (no drafts yet) nor for compliance without reviewed alerts', () => {
    expect(extract('compliance', conv, config, rawTexts(conv), 'g').examples).toEqual([]);
    expect(extract('preference', conv, config, rawTexts(conv), 'g').examples).toEqual([]);
  });

  it('compliance: a reviewed message becomes a JSON verdict; confirmed beats false positive; unreviewed ones are left out', () => {
    const confirmed = { ...msg('agent', 'Your refund is 100% guaranteed.'), reviewedAlerts: [{ policy: 'fp-first', label: 'false_positive' as const }, { policy: 'no-guarantees', label: 'violation' as const }] };
    const dismissed = { ...msg('customer', 'Is a refund guaranteed?'), reviewedAlerts: [{ policy: 'no-guarantees', label: 'false_positive' as const }] };
    const unreviewed = { ...msg('customer', 'Thanks!'), reviewedAlerts: [] };
    const reviewed = conversation([dismissed, confirmed, unreviewed]);
    const { examples } = extract('compliance', reviewed, config, rawTexts(reviewed), 'g');
    expect(examples.map((example) => example.messages.slice(1))).toEqual([
      [{ role: 'user', content: 'Customer public message:\nIs a refund guaranteed?' }, { role: 'assistant', content: '{"violation":false,"policy":"no-guarantees"}' }],
      [{ role: 'user', content: 'Agent public message:\nYour refund is 100% guaranteed.' }, { role: 'assistant', content: '{"violation":true,"policy":"no-guarantees"}' }],
    ]);
    expect(examples[1]?.labels).toEqual({ violation: 'true', policy: 'no-guarantees' });
    expect(examples.map((example) => example.messageIds)).toEqual([[dismissed.id], [confirmed.id]]);
  });
});

describe('extract (triage)', () => {
  const conv = conversation([msg('customer', 'Bitte erstatten Sie mir die doppelte Zahlung, danke. Ich habe das nicht bestellt und die Rechnung ist falsch.'), msg('agent', 'Done.')], { language: null });

  it('labels from a custom field, a tag prefix, priority and the guessed language', () => {
    const labels = parseDatasetConfig({
      labels: { language: { source: 'language' }, priority: { source: 'priority', values: { high: 'p1', normal: 'p2' } }, intent: { source: 'custom_field', field: '101' }, topic: { source: 'tag_prefix', prefix: 'intent_' } },
    });
    const [example] = extract('triage', conv, labels, rawTexts(conv), 'g').examples;
    expect(example?.messages[2]?.content).toBe('{"intent":"get_refund","priority":"p1","language":"de","topic":"get_refund"}');
    expect(example?.messages[1]?.content).toMatch(/^Subject: Refund for order\n\nBitte/);
  });

  it('skips a conversation whose label is missing or unmapped', () => {
    const strict = parseDatasetConfig({ labels: { priority: { source: 'priority', values: { low: 'p3' } } } });
    expect(extract('triage', conv, strict, rawTexts(conv), 'g').skipped).toEqual({ missing_label_priority: 1 });
    const fallback = parseDatasetConfig({ labels: { priority: { source: 'priority', values: { low: 'p3' }, fallback: 'p2' } } });
    expect(extract('triage', conv, fallback, rawTexts(conv), 'g').examples[0]?.labels).toEqual({ priority: 'p2' });
  });
});

describe('scrub within extraction', () => {
  it('scrubs with one session per conversation and the ticket people as known people', () => {
    const conv = conversation([msg('customer', 'Hi, this is Anna Schmidt, my phone is +49 30 1234567.'), msg('agent', 'Hello Anna, I called +49 30 1234567 and fixed it.\n\nSam Carter')]);
    const scrubber = new CurationScrubber();
    const [example] = extract('reply', conv, config, scrubber.forConversation(conv), 'g').examples;
    expect(example?.lastUser).toBe('Subject: Refund for order\n\nHi, this is [NAME_1], my phone is [PHONE_1].');
    expect(example?.target).toBe('Hello [NAME_1], I called [PHONE_1] and fixed it.\n\n[NAME_2]');
    expect(scrubber.stats().replacements).toMatchObject({ NAME: 3, PHONE: 2 });
  });
});

describe('filter', () => {
  const example = (target: string, lastUser = 'Where is my parcel? It has not arrived yet.'): Example => ({
    messages: [{ role: 'system', content: 'p' }, { role: 'user', content: lastUser }, { role: 'assistant', content: target }],
    conversationId: 1,
    messageIds: [1, 2],
    groupKey: 'g',
    dedupText: `${lastUser}\n${target}`,
    target,
    lastUser,
  });

  it('drops conversations that are deleted, unresolved or in another language', () => {
    const en = parseDatasetConfig({ filters: { languages: ['en'] } });
    expect(conversationDropReason(conversation([msg('customer', 'x')], { deleted: true }), en)).toBe('deleted');
    expect(conversationDropReason(conversation([msg('customer', 'x')], { status: 'open' }), en)).toBe('unresolved');
    expect(conversationDropReason(conversation([msg('customer', 'x')], { status: 'open' }), parseDatasetConfig({ filters: { requireResolved: false } }))).toBeNull();
    expect(conversationDropReason(conversation([msg('customer', 'x')], { language: 'de' }), en)).toBe('language');
    const guessed = conversation([msg('customer', 'Ich habe die Rechnung nicht bekommen, bitte schicken Sie sie mir noch einmal. Danke!')], { language: null, subject: null });
    expect(conversationDropReason(guessed, en)).toBe('language');
    expect(conversationDropReason(conversation([msg('customer', 'The parcel is late, can you check it for me please?')], { language: null }), en)).toBeNull();
  });

  it('drops each bad example with its reason', () => {
    const filter = new ExampleFilter(parseDatasetConfig({ filters: { macroTexts: ['We have received your request and will answer soon.'] } }));
    const cases: Array<[Example, string | null]> = [
      [example('I have checked it: your parcel arrives tomorrow before noon.'), null],
      [example('   '), 'empty'],
      [example('Ok, done.'), 'too_short'],
      [example('x'.repeat(5_000)), 'too_long'],
      [example('I am out of the office until Monday and will reply after that.'), 'auto_reply'],
      [example('Your parcel is on its way.', 'Mail Delivery Subsystem: your message could not be delivered'), 'bounce'],
      [example('Automatische Antwort: Ich bin bis 3. März nicht im Büro.'), 'auto_reply'],
      [example('We have received your request and will answer soon!'), 'macro'],
      [example('[NAME_1] [PHONE_1] [EMAIL_1] [ID_1] thanks'), 'low_quality'],
      [example('PLEASE STOP WRITING TO US ABOUT THIS PARCEL'), 'low_quality'],
    ];
    for (const [input, reason] of cases) expect(filter.dropReason(input), input.target.slice(0, 40)).toBe(reason);
  });

  it('treats a reply repeated more than macroMaxRepeats times as a macro', () => {
    const filter = new ExampleFilter(parseDatasetConfig({ filters: { macroMaxRepeats: 2 } }));
    const reasons = [1, 2, 3, 4].map((n) => filter.dropReason(example(`Hi [NAME_${n}], we escalated your request to our specialists.`)));
    expect(reasons).toEqual([null, null, 'macro', 'macro']);
  });
});

describe('dedup', () => {
  const base = 'I ordered a blue jacket two weeks ago and it still has not arrived; the tracking page shows no update since last Monday. Could you please check with the courier and tell me when it will be delivered?';

  it('drops exact duplicates after normalisation and near duplicates above the threshold', () => {
    const dedup = new Deduplicator({ threshold: 0.8, permutations: 64 });
    expect(dedup.check(base)).toBeNull();
    expect(dedup.check(base.toUpperCase().replace(/\s+/g, '  '))).toBe('exact');
    expect(dedup.check(base.replace('blue jacket', 'red jacket'))).toBe('near');
    expect(dedup.check('My invoice shows the wrong VAT number, can you send a corrected one to the accounting team?')).toBeNull();
    expect(dedup.check(`Hi [NAME_1], ${base}`)).toBe('near');
  });

  it('keeps texts below the threshold, and with threshold 1 only removes exact copies', () => {
    const near = base.split(' ').slice(0, 20).join(' ') + ' and also I want to change the size of the jacket to large, if it is still possible to do so.';
    const loose = new Deduplicator({ threshold: 0.9, permutations: 128 });
    loose.check(base);
    expect(loose.check(near)).toBeNull();
    const exactOnly = new Deduplicator({ threshold: 1, permutations: 64 });
    exactOnly.check(base);
    expect(exactOnly.check(base.replace('blue', 'red'))).toBeNull();
    expect(exactOnly.check(base)).toBe('exact');
  });

  it('picks LSH bands whose S-curve midpoint is near the threshold', () => {
    for (const threshold of [0.6, 0.8, 0.9]) {
      const { bands, rows } = bandsFor(threshold, 128);
      expect(Math.abs((1 / bands) ** (1 / rows) - threshold)).toBeLessThan(0.05);
    }
  });

  it('keeps 20,000 similar-looking but distinct texts (few false near-duplicates)', () => {
    const dedup = new Deduplicator({ threshold: 0.85, permutations: 64 });
    let kept = 0;
    for (let i = 0; i < 20_000; i++) if (dedup.check(`ticket ${i} about order ${i * 7} colour ${i % 13} size ${i % 5} please help ${i * 31}`) === null) kept++;
    expect(kept).toBeGreaterThan(19_000);
  });
});

describe('split', () => {
  it('puts a group always in the same split, close to the ratios', () => {
    const splitter = new Splitter(config.split);
    const counts = { train: 0, validation: 0, test: 0 };
    for (let i = 0; i < 20_000; i++) counts[splitter.splitOf(`requester:c:${i}`)]++;
    expect(counts.train / 20_000).toBeCloseTo(0.8, 1);
    expect(counts.validation / 20_000).toBeCloseTo(0.1, 1);
    expect(counts.test / 20_000).toBeCloseTo(0.1, 1);
    const again = new Splitter(config.split);
    for (let i = 0; i < 1_000; i++) expect(again.splitOf(`requester:c:${i}`)).toBe(splitter.splitOf(`requester:c:${i}`));
  });

  it('groups by organisation, requester or conversation, falling back when one is missing', () => {
    const conv = conversation([]);
    expect(groupKeyOf(conv, 'organization')).toBe(`org:${conv.connectionId}:900`);
    expect(groupKeyOf({ ...conv, organizationId: null }, 'organization')).toBe(`requester:${conv.connectionId}:42`);
    expect(groupKeyOf(conv, 'requester')).toBe(`requester:${conv.connectionId}:42`);
    expect(groupKeyOf(conv, 'conversation')).toBe(`conversation:${conv.connectionId}:${conv.sourceId}`);
  });
});

describe('config', () => {
  it('rejects bad settings with the path of the problem', () => {
    expect(() => parseDatasetConfig({ split: { train: 0.9, validation: 0.2, test: 0.1 } })).toThrow(/split ratios must add up to 1/);
    expect(() => parseDatasetConfig({ dedup: { threshold: 2 } })).toThrow(DatasetConfigError);
    expect(() => parseDatasetConfig({ scrub: { urls: 'sometimes' } })).toThrow(/scrub\.urls/);
    expect(() => parseDatasetConfig({ unknownKey: 1 })).toThrow(/unrecognized/i);
  });

  it('guesses common languages and refuses to guess from too little text', () => {
    expect(guessLanguage('Where is my order? I have been waiting for two weeks and the tracking does not work.')).toBe('en');
    expect(guessLanguage('Wo ist meine Bestellung? Ich warte seit zwei Wochen und die Sendungsverfolgung ist nicht aktuell.')).toBe('de');
    expect(guessLanguage('Bonjour, je voudrais annuler ma commande s\'il vous plaît.')).toBe('fr');
    expect(guessLanguage('Hola, quiero cancelar mi pedido por favor.')).toBe('es');
    expect(guessLanguage('Olá, quero cancelar o meu pedido por favor.')).toBe('pt');
    expect(guessLanguage('Hallo, ik wil graag mijn bestelling annuleren.')).toBe('nl');
    expect(guessLanguage('Merci')).toBeNull();
  });
});
