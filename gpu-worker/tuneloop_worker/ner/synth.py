"""Support-style training sentences: greetings, sign-offs, names next to emails, lower-case text.

News and legal corpora rarely say "hi anna," or end with "Best,\\nTom", so the trainer adds
messages built from the templates below, filled with names from the hub's lists
(src/datasets/pii/data), invented names that no list has, and places and companies taken from the
corpora's TRAIN splits (tagged LOC / ORG).

Kept apart from evaluation: scripts/support-names-eval.ts has its own templates (other wording),
and the quarter of the listed names for which `is_eval_name` is true is never used here.
"""

from __future__ import annotations

import hashlib
import random

from .corpora import Sentence
from .features import tokenize


def is_eval_name(name: str) -> bool:
    """Same rule as isEvalName() in scripts/support-names-eval.ts."""
    return hashlib.sha1(f"tuneloop-ner-split:{name.lower()}".encode("utf-8")).digest()[0] % 4 == 0


# {P} person (full or first name), {F} first name, {L} surname after {T} title, {E} the person's
# email, {H} a chat @mention of a person, {C} place, {O} company, {X} product, {R} "r" for a man
# (German adjective endings).
TEMPLATES = {
    "en": [
        "Hi {F}, thank you for getting back to me so quickly.",
        "Hello {T} {L}, I still have not received the refund for order 55123.",
        "Dear {F},\nplease find the signed contract attached.\nBest regards,\n{P}",
        "{F} from the billing team told me the fee would be waived.",
        "thanks {F}, that worked",
        "Sincerely,\n{P}",
        "- {P}, Operations Manager",
        "Can you put me through to {P}? She knows the history of this case.",
        "I am {P}, the account owner, and I want to close my account.",
        "From: {P} <{E}>\nSubject: wrong size delivered",
        "Please contact {P} at {E} for anything related to shipping.",
        "{P} ({E}) is our new admin, please give them access.",
        "My husband {F} placed the order, but the card is in my name.",
        "yo {F} any news on my return??",
        "Thanks again,\n{F}",
        "Your agent {F} was super helpful yesterday!",
        "{T} {L} asked me to send you the serial number of the {X}.",
        "hey {F} {L} here, my {X} won't turn on",
        "Good morning {F} and {F},",
        "I talked with {P} and {F} about the upgrade.",
        "The package was signed for by {P} in {C}.",
        "Invoice addressed to {P}, {O}, {C}",
        "Case escalated to {P} (Tier 2).",
        "Hi team, {F} here. The export from {O} failed again.",
        "Customer {P} called about a double charge.",
        "Hey {F},\n\nquick question about the {X}: does it ship with a charger?\n\nThx\n{F}",
        "{T} {L} from {O} will join the call on Thursday.",
        "Regards\n{P}\n{E}",
        "Noted, {F}. I will check with {P} and get back to you.",
        "Our courier {F} tried to deliver the parcel to {C} twice.",
        "{H} can you take over this ticket?",
        "thanks {H}!",
        "cc {H} {H}",
        "Hello, my name is {P} and I ordered a {X} last week.",
        "my name is {F}",
        "This is {P} speaking, I called earlier about the invoice.",
        "Please call me {F}.",
        "{F}, could you check the tracking number again?",
        "{L} and {L} from our team will visit {C} next week.",
        "Contact person: {P}\nPhone: +1 555 0100",
        "Name:\n{P}\nPhone:\n+44 20 7946 0000\nE-mail:\n{E}",
        "From: {P}\nTo: support\nSubject: damaged box",
        "The parcel was addressed to {P} but {F} received it.",
        "Our founders {L}, {F} and {L} started {O} in {C}.",
    ],
    "de": [
        "Hallo {F}, danke für die schnelle Rückmeldung.",
        "Guten Tag {T} {L}, ich warte immer noch auf die Erstattung für Bestellung 55123.",
        "Liebe{R} {F},\nanbei der unterschriebene Vertrag.\nBeste Grüße\n{P}",
        "{F} aus der Buchhaltung hat gesagt, die Gebühr wird erlassen.",
        "danke {F}, hat geklappt",
        "Freundliche Grüße\n{P}",
        "{P}, Leitung Versand",
        "Können Sie mich mit {P} verbinden? Sie kennt den Vorgang.",
        "Ich bin {P}, Inhaber des Kontos, und möchte kündigen.",
        "Von: {P} <{E}>\nBetreff: falsche Größe geliefert",
        "Bei Fragen zum Versand wenden Sie sich bitte an {P} ({E}).",
        "Mein Mann {F} hat bestellt, aber die Karte läuft auf meinen Namen.",
        "hey {F} gibts was neues wegen meiner rücksendung??",
        "Danke nochmal,\n{F}",
        "Ihr Mitarbeiter {F} war gestern super hilfsbereit!",
        "{T} {L} bat mich, Ihnen die Seriennummer des {X} zu schicken.",
        "moin, {F} {L} hier, mein {X} geht nicht mehr an",
        "Guten Morgen {F} und {F},",
        "Ich habe mit {P} und {F} über das Upgrade gesprochen.",
        "Das Paket hat {P} in {C} entgegengenommen.",
        "Rechnung an {P}, {O}, {C}",
        "VG {F}",
        "Weitergeleitet an {P} (2nd Level).",
        "Kunde {P} hat wegen einer doppelten Abbuchung angerufen.",
        "Hallo zusammen, hier ist {F}. Der Export aus {O} ist wieder fehlgeschlagen.",
        "Sehr geehrte{R} {T} {L},\n\nwir bedauern die Verzögerung.",
        "Hi {F},\n\nkurze Frage zum {X}: ist ein Ladegerät dabei?\n\nLG\n{F}",
        "{T} {L} von {O} ist am Donnerstag beim Termin dabei.",
        "Beste Grüße\n{P}\n{E}",
        "Notiert, {F}. Ich kläre das mit {P} und melde mich.",
        "{H} kannst du das Ticket übernehmen?",
        "danke {H}!",
        "cc {H} {H}",
        "Hallo, mein Name ist {P} und ich habe letzte Woche ein {X} bestellt.",
        "ich heiße {F}",
        "Hier spricht {P}, ich hatte wegen der Rechnung angerufen.",
        "{F}, können Sie die Sendungsnummer nochmal prüfen?",
        "{L} und {L} aus unserem Team kommen nächste Woche nach {C}.",
        "Ansprechpartner: {P}\nTelefon: 030 1234567",
        "Name:\n{P}\nTelefon:\n089 123456\nE-Mail:\n{E}",
        "Von: {P}\nAn: Kundenservice\nBetreff: beschädigter Karton",
        "Das Paket war an {P} adressiert, aber {F} hat es angenommen.",
        "Kundin {P} aus {C} hat zweimal bezahlt.",
    ],
}
NEGATIVE = {
    "en": [
        "I bought the {X} at your store in {C} last week.",
        "Does {O} ship to {C}?",
        "I want to cancel my subscription before the next billing date.",
        "My order was shipped to the wrong address in {C}.",
        "Can I return an item bought with a gift card?",
        "May I change the delivery date to Friday?",
        "The new update will roll out in June.",
        "Please bill my company account instead.",
        "Summer sale: 20% off all {X} models",
        "Hi, I need help with my password.",
        "Thanks for your help!",
        "Hello, is anyone there?",
        "The price guarantee applies to {O} products only.",
        "I'm in {C} until Monday, can the courier come on Tuesday?",
        "Hi there,\n\nmy {X} arrived with a cracked screen.\n\nThanks",
        "Best regards,\nCustomer Support",
        "Login failed from 10.0.0.12 twice this morning.",
        "Refund still pending for order 88123.",
        "Password reset link does not work.",
        "Delivery was supposed to be on Tuesday.",
        "Upgrade to the Pro plan please.",
        "Invoice for March shows the wrong amount.",
        "Update: the issue is back after the restart.",
        "May we close this ticket?",
        "Grant me admin rights for the {O} workspace.",
        "Chase declined the payment, can I use PayPal?",
        "Hope you are doing well!",
        "Sterling silver rings are out of stock.",
        "Personal Info:\nPhone:\n+1 555 0199\nE-mail:\ninfo@example.com\nWebsite:\nhttps://example.com",
        "Address:\n12 High Street\n{C}",
        "Status: open\nPriority: high\nCategory: Billing",
        "Order summary\nShipping: free\nTotal: 49.90",
    ],
    "de": [
        "Ich habe das {X} letzte Woche in Ihrer Filiale in {C} gekauft.",
        "Liefert {O} auch nach {C}?",
        "Ich möchte mein Abo vor der nächsten Abbuchung kündigen.",
        "Meine Bestellung wurde an eine falsche Adresse in {C} geschickt.",
        "Kann ich mit Gutschein bezahlte Artikel zurückgeben?",
        "Der Fahrer hat das Paket beim Nachbarn abgegeben.",
        "Das neue Update kommt im Juni.",
        "Bitte auf das Firmenkonto buchen.",
        "Sommerschlussverkauf: 20 % auf alle {X}",
        "Hallo, ich brauche Hilfe mit meinem Passwort.",
        "Vielen Dank für Ihre Hilfe!",
        "Ich bin bis Montag in {C}, kann der Kurier am Dienstag kommen?",
        "Mein Sohn hat aus Versehen zweimal bestellt.",
        "Hallo,\n\nmein {X} kam mit einem Sprung im Display an.\n\nDanke",
        "Mit freundlichen Grüßen\nIhr Kundenservice",
        "Anmeldung von 10.0.0.12 heute zweimal fehlgeschlagen.",
        "Rückerstattung für Bestellung 88123 fehlt noch.",
        "Passwort zurücksetzen geht nicht.",
        "Lieferung sollte am Dienstag kommen.",
        "Rechnung vom März ist falsch.",
        "Kündigung zum nächsten Monat bitte bestätigen.",
        "Update: Der Fehler ist wieder da.",
        "Die Bank hat die Zahlung abgelehnt.",
        "Wie lange dauert der Versand nach {C}?",
        "Hoffe, es geht Ihnen gut!",
        "Kontaktdaten:\nTelefon:\n030 9876543\nE-Mail:\ninfo@example.de\nWebseite:\nhttps://example.de",
        "Adresse:\nHauptstraße 5\n{C}",
        "Status: offen\nPriorität: hoch\nKategorie: Rechnung",
        "Bestellübersicht\nVersand: kostenlos\nSumme: 49,90 €",
    ],
}
PRODUCTS = ["Kindle Paperwhite", "AirPods", "Galaxy Tab", "Nintendo Switch", "Dyson V11", "Roomba", "MacBook Pro",
            "Apple Watch", "Fritzbox", "Tolino", "Playstation 5", "Sonos One", "Kobo Clara", "Nest Hub"]
SYLLABLES = ["ka", "ro", "vel", "mar", "ten", "bri", "so", "lin", "dor", "ha", "mek", "ul", "tis", "ber", "gan",
             "ni", "zo", "ral", "fen", "ost", "pa", "wik", "ly", "sch", "dra", "mo", "len", "ju", "ter", "quin"]


def _invented(rng: random.Random) -> str:
    """A name-like word that no list has: models must learn names from context, not only lists.
    Words that the evaluation split rule reserves are skipped, in case one is a real name."""
    while True:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        if not is_eval_name(word):
            return word[:1].upper() + word[1:]


def support_sentences(lang: str, count: int, first: list[str], last: list[str], places: list[str],
                      orgs: list[str], seed: int) -> list[Sentence]:
    """`count` messages with BIO tags; names from `first`/`last` (callers drop eval names)."""
    rng = random.Random(seed)
    out: list[Sentence] = []
    for _ in range(count):
        template = rng.choice(NEGATIVE[lang]) if rng.random() < 0.25 else rng.choice(TEMPLATES[lang])
        given = _invented(rng) if rng.random() < 0.15 else rng.choice(first)
        family = _invented(rng) if rng.random() < 0.25 else rng.choice(last)
        female = rng.random() < 0.5
        title = ("Frau" if female else "Herr") if lang == "de" else rng.choice(
            ["Ms.", "Mrs.", "Dr."] if female else ["Mr.", "Dr.", "Prof."])
        lower_names = rng.random() < 0.15
        lower_all = rng.random() < 0.2
        text = ""
        spans: list[tuple[int, int, str]] = []
        first_used = False

        def put(s: str, label: str = "") -> None:
            nonlocal text
            start = len(text)
            text += s
            if label:
                spans.append((start, len(text), label))

        def name(s: str) -> str:
            return s.lower() if lower_names else s

        for part in _split(template):
            if part == "{P}":
                put(f"{name(given)} {name(family)}" if rng.random() < 0.7 else name(given), "PER")
            elif part == "{F}":
                put(name(given if not first_used else rng.choice(first)), "PER")
                first_used = True
            elif part == "{L}":
                put(name(family), "PER")
            elif part == "{H}":
                handle = rng.choice(first) if rng.random() < 0.7 else f"{given}.{family}"
                put("@" + handle.lower().replace(" ", ""), "PER")
            elif part == "{T}":
                put(title)
            elif part == "{R}":
                put("" if female else "r")
            elif part == "{E}":
                put(f"{given}.{family}@{rng.choice(['mail', 'firma', 'example', 'web'])}.{lang}".lower()
                    if lang == "de" else f"{given[0]}{family}@{rng.choice(['mail', 'corp', 'example'])}.com".lower())
            elif part == "{C}":
                put(rng.choice(places), "LOC")
            elif part == "{O}":
                put(rng.choice(orgs), "ORG")
            elif part == "{X}":
                put(rng.choice(PRODUCTS))
            else:
                put(part)
        if lower_all and len(text.lower()) == len(text):
            text = text.lower()
        out.append(_tag(text, spans))
    return out


def _split(template: str) -> list[str]:
    parts: list[str] = []
    i = 0
    while i < len(template):
        j = template.find("{", i)
        if j < 0:
            parts.append(template[i:])
            break
        if j > i:
            parts.append(template[i:j])
        parts.append(template[j:j + 3])
        i = j + 3
    return parts


def _tag(text: str, spans: list[tuple[int, int, str]]) -> Sentence:
    tokens: list[str] = []
    tags: list[str] = []
    for start, end, token in tokenize(text):
        tag = "O"
        for s, e, label in spans:
            if s <= start < e:
                tag = ("I-" if tags and start > s and tags[-1][2:] == label else "B-") + label
        tokens.append(token)
        tags.append(tag)
    return tokens, tags
