import { describe, expect, it } from 'vitest';
import { createScrubSession, detectPii, luhnValid, Scrubber, scrubText } from '../../src/datasets/pii/index.ts';
import type { PiiType } from '../../src/datasets/pii/index.ts';

const types = (text: string, ctx = {}) => detectPii(text, ctx).map((s) => `${s.type}:${s.value}`);

describe('detectors, English and German', () => {
  it('finds emails', () => {
    expect(types('Write to anna.schmidt+shop@example.co.uk.')).toEqual(['EMAIL:anna.schmidt+shop@example.co.uk']);
    expect(types('Schreiben Sie an j.mueller@firma-beispiel.de, danke')).toEqual(['EMAIL:j.mueller@firma-beispiel.de']);
  });

  it('finds phones in EN and DE formats, including +49', () => {
    for (const phone of ['+49 30 12345678', '+49 (0)30 1234-5678', '0049 171 1234567', '030 12345678', '0171/1234567', '+49 171 1234567']) {
      expect(types(`Rufen Sie mich unter ${phone} an.`)).toEqual([`PHONE:${phone}`]);
    }
    for (const phone of ['(555) 123-4567', '+1-555-123-4567', '555-123-4567', '020 7946 0958']) {
      expect(types(`Call me at ${phone} please`)).toEqual([`PHONE:${phone}`]);
    }
  });

  it('leaves dates, amounts and year ranges alone', () => {
    expect(types('Geliefert am 12.03.2024, Betrag 1.234.567 EUR, Saison 2019-2020.')).toEqual([]);
    expect(types('Order placed on 2024-03-12 11:34:35 for $1,250.00')).toEqual([]);
  });

  it('finds checksum-valid IBANs only', () => {
    expect(types('Meine IBAN ist DE89 3704 0044 0532 0130 00, bitte abbuchen.')).toEqual(['IBAN:DE89 3704 0044 0532 0130 00']);
    expect(types('IBAN: DE89370400440532013000')).toEqual(['IBAN:DE89370400440532013000']);
    expect(types('my iban gb82west12345698765432 thanks')).toEqual(['IBAN:gb82west12345698765432']);
    // One digit changed: the mod-97 checksum fails.
    expect(types('IBAN DE89 3704 0044 0532 0130 01').filter((t) => t.startsWith('IBAN'))).toEqual([]);
  });

  it('finds Luhn-valid cards and never flags Luhn-invalid numbers as cards', () => {
    expect(types('Card 4111 1111 1111 1111 exp 12/27')).toContain('CARD:4111 1111 1111 1111');
    expect(types('Karte 5500-0000-0000-0004')).toEqual(['CARD:5500-0000-0000-0004']);
    expect(types('Amex 378282246310005')).toEqual(['CARD:378282246310005']);
    expect(luhnValid('4111111111111112')).toBe(false);
    for (const bad of ['4111 1111 1111 1112', '5500-0000-0000-0005', '378282246310006']) {
      expect(detectPii(`Card ${bad}`).some((s) => s.type === 'CARD')).toBe(false);
    }
  });

  it('finds German and English addresses', () => {
    expect(types('Bitte liefern an Neuendorfer Straße 90c, 10115 Berlin.')).toEqual(['ADDRESS:Neuendorfer Straße 90c, 10115 Berlin']);
    expect(types('Neue Adresse: Hauptstr. 5\n60311 Frankfurt am Main')).toEqual(['ADDRESS:Hauptstr. 5\n60311 Frankfurt am Main']);
    expect(types('Karl-Marx-Allee 3a')).toEqual(['ADDRESS:Karl-Marx-Allee 3a']);
    expect(types('Ship to 1600 Pennsylvania Avenue, Washington, DC 20500 asap')).toEqual([
      'ADDRESS:1600 Pennsylvania Avenue, Washington, DC 20500',
    ]);
    expect(types('221B Baker Street, London NW1 6XE')).toEqual(['ADDRESS:221B Baker Street, London NW1 6XE']);
    expect(types('Wir haben 10000 Kunden und er belegte Platz 3.')).toEqual([]);
  });

  it('finds IPv4 and IPv6 addresses but not times or versions', () => {
    expect(types('Login from 192.168.10.25 and 2001:db8:85a3::8a2e:370:7334')).toEqual(['IP:192.168.10.25', 'IP:2001:db8:85a3::8a2e:370:7334']);
    expect(types('Meeting at 12:30:45, app version 1.2.3')).toEqual([]);
  });

  it('replaces URLs with personal paths, keeps help-centre links', () => {
    const r = scrubText('See https://shop.example.com/users/anna.schmidt?id=9981 and https://help.example.com/faq/returns.');
    expect(r.text).toBe('See [URL_1] and https://help.example.com/faq/returns.');
    expect(new Scrubber({ urls: 'all' }).scrubText('https://help.example.com/faq').text).toBe('[URL_1]');
  });

  it('finds customer and order numbers by configurable patterns', () => {
    expect(types('Bestellnummer: 12345-AB, Kundennummer K-998877')).toEqual(['ID:12345-AB', 'ID:K-998877']);
    expect(types('I want to cancel order 370795561790 and see invoice #85632')).toEqual(['ID:370795561790', 'ID:#85632']);
    const custom = new Scrubber({ extraIdPatterns: [{ name: 'acme', pattern: 'ACME-\\d{6}' }] });
    expect(custom.detect('Vorgang ACME-123456 bitte prüfen').map((s) => s.value)).toEqual(['ACME-123456']);
    expect(() => new Scrubber({ extraIdPatterns: [{ name: 'broken', pattern: '(' }] })).toThrow(/not a valid regex/);
  });

  it('finds names with cues and gazetteers, EN and DE', () => {
    expect(types('Dear Mr. Jones, thank you.')).toEqual(['NAME:Jones']);
    expect(types('Hallo Frau Schmidt, vielen Dank für Ihre Nachricht.')).toEqual(['NAME:Schmidt']);
    expect(types('Mein Name ist Jürgen Weißhaupt und ich habe eine Frage.')).toEqual(['NAME:Jürgen Weißhaupt']);
    expect(types('Hi, my name is Sarah Connor.')).toEqual(['NAME:Sarah Connor']);
    expect(types('Danke für die schnelle Hilfe!\n\nViele Grüße\nKatharina Obermeier')).toEqual(['NAME:Katharina Obermeier']);
    expect(types('Best regards,\nTom Hardy')).toEqual(['NAME:Tom Hardy']);
  });

  it('finds an unlisted name signing the last line without a closing phrase', () => {
    const text = 'Kundennummer K-2024-99817, Handy 0171 9876543, Mastercard 5500000000000004.\nJürgen Weißhaupt';
    expect(scrubText(text).text).toBe('Kundennummer [ID_1], Handy [PHONE_1], Mastercard [CARD_1].\n[NAME_1]');
    // Sign-offs of a department, and a last line that does not follow a finished sentence, stay.
    expect(types('Thanks for the help.\nCustomer Support')).toEqual([]);
    expect(types('Danke.\n\nIhr Kundenservice')).toEqual([]);
    expect(types('Liefern an\nBahnhof Nord')).toEqual([]);
  });

  it('does not take German nouns or sentence starts for names', () => {
    expect(types('Der Koch hat im Sommer den Fischer am Tor getroffen.')).toEqual([]);
    expect(types('Will you send the package today? May I ask why?')).toEqual([]);
    expect(types('Hallo zusammen, das Team hat die Rechnung geschickt.')).toEqual([]);
  });
});

describe('sessions', () => {
  it('gives the same value the same placeholder within a session, independent across sessions', () => {
    const a = createScrubSession();
    const r1 = a.scrub('Hi, ich bin Anna Schmidt, anna@example.com, Tel. 0171 2345678.');
    const r2 = a.scrub('Nochmal Anna Schmidt hier. Meine Mail: ANNA@example.com. Frau Schmidt wartet.');
    const r3 = a.scrub('Von Peter Maier, peter@example.com');
    expect(r1.text).toBe('Hi, ich bin [NAME_1], [EMAIL_1], Tel. [PHONE_1].');
    expect(r2.text).toBe('Nochmal [NAME_1] hier. Meine Mail: [EMAIL_1]. Frau [NAME_1] wartet.');
    expect(r3.text).toBe('Von [NAME_2], [EMAIL_2]');
    expect(r2.replacements).toMatchObject({ NAME: 2, EMAIL: 1 });
    expect(a.counts()).toMatchObject({ NAME: 4, EMAIL: 3, PHONE: 1 });

    const b = createScrubSession();
    expect(b.scrub('Von Peter Maier, peter@example.com').text).toBe('Von [NAME_1], [EMAIL_1]');
    expect(b.counts()).toMatchObject({ NAME: 1, EMAIL: 1, PHONE: 0 });
  });

  it('always removes knownPeople: full, first, last name, email, any case, umlaut variants', () => {
    const session = new Scrubber().session();
    const knownPeople = [{ name: 'Jürgen Müller', email: 'j.mueller@kunde.de' }, { name: 'Will Koch', email: null }];
    const r = session.scrub(
      'JÜRGEN MÜLLER schrieb: hallo, hier jürgen. Herr Mueller und Muller meinten, j.mueller@kunde.de ist richtig. Will Koch sagt: Koch ist da.',
      { knownPeople },
    );
    expect(r.text).not.toMatch(/j(ü|ue|u)rgen|m(ü|ue|u)ller|koch/i);
    expect(r.text).toContain('[NAME_1] schrieb');
    expect(r.text).toContain('Herr [NAME_1] und [NAME_1]');
    expect(r.text).toContain('[EMAIL_1]');
    // "will" is a common word, so lower-case "will" stays when it is not the person.
    expect(session.scrub('We will call you.', { knownPeople }).text).toBe('We will call you.');
  });

  it('matches known people only as whole words, longest spelling first, "Last, First" too', () => {
    // The known-people matcher alone (the name model off): it never matches inside "x.schmidt"
    // and takes a name that is also a word ("Koch") only as written.
    const session = new Scrubber({ detect: { names: false } }).session();
    const knownPeople = [{ name: 'Anna Schmidt', email: 'anna.schmidt@example.com' }, { name: 'Will Koch', email: 'wkoch@example.com' }];
    const text = 'Schmidt, Anna und  anna  schmidt; anna.schmidt@example.com, x.schmidt, Will und will, KOCH, Koch.';
    const r = session.scrub(text, { knownPeople });
    expect(r.text).toBe('[NAME_1] und  [NAME_1]; [EMAIL_1], x.schmidt, [NAME_2] und will, KOCH, [NAME_2].');
    expect(r.spans.map((s) => s.value).slice(0, 2)).toEqual(['Schmidt, Anna', 'anna  schmidt']);
    // With the name model on, the model may also take the surnames in "x.schmidt" and "KOCH";
    // the verb "will" stays.
    expect(new Scrubber().session().scrub(text, { knownPeople }).text).toMatch(/^\[NAME_1\] und {2}\[NAME_1\]; \[EMAIL_1\], x\..*, \[NAME_2\] und will, .*, \[NAME_2\]\.$/);
  });

  it('matches known people in text whose length changes when lowercased (Turkish İ)', () => {
    const session = new Scrubber().session();
    const r = session.scrub('İlker Yılmaz schrieb an İLKER und Ilker.', { knownPeople: [{ name: 'İlker Yılmaz' }] });
    expect(r.text).toBe('[NAME_1] schrieb an [NAME_1] und [NAME_1].');
  });

  it('matches a known name written with punctuation around it ("(Anna) Schmidt")', () => {
    const session = new Scrubber().session();
    const r = session.scrub('Gruß an (Anna) und Frau Schmidt', { knownPeople: [{ name: '(Anna) Schmidt' }] });
    expect(r.text).toBe('Gruß an [NAME_1] und Frau [NAME_1]');
  });

  it('counts replacements per type', () => {
    const r = scrubText('Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, IP 10.0.0.1');
    const expected: Partial<Record<PiiType, number>> = { CARD: 1, IBAN: 1, IP: 1, NAME: 0, PHONE: 0 };
    expect(r.replacements).toMatchObject(expected);
  });
});

describe('planted-PII probe', () => {
  // Realistic support messages with planted personal data; none of it may survive scrubbing.
  const planted = {
    names: ['Katharina Obermeier', 'Jürgen Weißhaupt', 'Sarah Connor', 'Mehmet Yılmaz', 'Zofia Kowalczyk', 'Obermeier', 'Weißhaupt'],
    emails: ['k.obermeier@web.de', 'sarah.connor1984@gmail.com', 'mehmet.yilmaz@firma.com.tr'],
    phones: ['+49 89 12345678', '0171 9876543', '(415) 555-0132', '+44 20 7946 0958', '089/4711-0815'],
    ibans: ['DE89 3704 0044 0532 0130 00', 'GB82WEST12345698765432', 'AT61 1904 3002 3457 3201'],
    cards: ['4111 1111 1111 1111', '5500000000000004', '3782-822463-10005'],
    addresses: ['Leopoldstraße 112', '80802 München', '742 Evergreen Terrace', 'Am Markt 7'],
    ips: ['203.0.113.77', '2001:db8::ff00:42:8329'],
    ids: ['4711-0815-42', 'K-2024-99817', '88231177'],
  };
  const messages = [
    'Hallo,\nmein Name ist Katharina Obermeier. Meine Bestellung 4711-0815-42 ist nicht angekommen. Lieferadresse: Leopoldstraße 112, 80802 München. Bitte rufen Sie mich an: +49 89 12345678.\nViele Grüße\nKatharina Obermeier',
    'Hi there, this is Sarah Connor (sarah.connor1984@gmail.com). I was charged twice on my card 4111 1111 1111 1111. Call me at (415) 555-0132. I live at 742 Evergreen Terrace.',
    'Sehr geehrter Herr Weißhaupt, wir haben Ihre IBAN DE89 3704 0044 0532 0130 00 hinterlegt. Ihre Kundennummer lautet K-2024-99817.',
    'Please refund to GB82WEST12345698765432, account holder Mehmet Yılmaz, mehmet.yilmaz@firma.com.tr, phone +44 20 7946 0958.',
    'Login failed from 203.0.113.77 and 2001:db8::ff00:42:8329 – customer Zofia Kowalczyk, Mastercard 5500000000000004.',
    'Guten Tag, Überweisung von AT61 1904 3002 3457 3201 ist raus. Amex 3782-822463-10005. Handy 0171 9876543, Büro 089/4711-0815. Abholung Am Markt 7.',
    'Frau Obermeier hat angerufen wegen Auftrag 88231177.',
  ];

  it('leaves zero planted values after scrubbing', () => {
    const session = createScrubSession();
    const scrubbed = messages.map((m) => session.scrub(m).text).join('\n');
    const leaks = Object.values(planted).flat().filter((v) => scrubbed.toLowerCase().includes(v.toLowerCase()));
    expect(leaks).toEqual([]);
  });
});

describe('hostile input', () => {
  // Sizes that would take minutes or hours with a backtracking regex (quadratic or worse).
  const planted = ' Kontakt: anna@example.com';

  it('handles 100 KB of digits and spaces', () => {
    const digits = '1 2 3 4 5 6 7 8 9 0 '.repeat(5_000);
    const r = scrubText(digits + planted);
    expect(r.text.endsWith('Kontakt: [EMAIL_1]')).toBe(true);
    expect(r.text).not.toContain('anna@example.com');
  });

  it('handles long runs without separators and long words', () => {
    for (const hostile of ['9'.repeat(100_000), 'a'.repeat(100_000), 'A'.repeat(100_000), 'Aa'.repeat(50_000), '@'.repeat(50_000), 'x.'.repeat(50_000), '1.'.repeat(50_000), '+('.repeat(50_000), 'DE89'.repeat(25_000), 'Straße '.repeat(14_000)]) {
      const r = scrubText(hostile + planted);
      expect(r.text.endsWith('Kontakt: [EMAIL_1]')).toBe(true);
    }
  });
});
