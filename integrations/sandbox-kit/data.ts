/**
 * Realistic, vendor-neutral support threads for the sandboxes, built from the real Bitext customer
 * support conversations in fixtures/. Deterministic for a seed: the same seed and count always give
 * the same threads, so tests can compare a harvest against what the sandbox holds.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';

const BITEXT_CSV = fileURLToPath(new URL('../../fixtures/bitext_customer_support.csv', import.meta.url));

const BitextRow = z.object({
  instruction: z.string().min(1),
  intent: z.string().min(1),
  category: z.string().min(1),
  response: z.string().min(1),
});
export type BitextRow = z.infer<typeof BitextRow>;

let cachedRows: BitextRow[] | null = null;

export function loadBitextRows(): BitextRow[] {
  if (cachedRows) return cachedRows;
  const records: unknown[] = parse(readFileSync(BITEXT_CSV), { columns: true, skip_empty_lines: true });
  cachedRows = records.map((record, index) => {
    const parsed = BitextRow.safeParse(record);
    if (!parsed.success) throw new Error(`fixtures/bitext_customer_support.csv row ${index + 2}: ${parsed.error.message}`);
    return parsed.data;
  });
  return cachedRows;
}

export type SandboxTurnKind = 'customer' | 'agent' | 'internal' | 'bot';

export interface SandboxPerson {
  name: string;
  email: string;
  phone: string | null;
}

export interface SandboxTurn {
  kind: SandboxTurnKind;
  /** The agent for agent/internal turns, the customer for customer turns, null for bots. */
  author: SandboxPerson | null;
  body: string;
  at: Date;
}

export interface SandboxThread {
  /** 1-based and dense: thread n is the nth thread of the seed. */
  number: number;
  subject: string;
  intent: string;
  category: string;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  status: 'new' | 'open' | 'pending' | 'solved' | 'closed';
  language: 'en';
  customer: SandboxPerson;
  agent: SandboxPerson;
  organization: string;
  createdAt: Date;
  updatedAt: Date;
  turns: SandboxTurn[];
}

/** mulberry32: tiny, fast and good enough for fixtures. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST_NAMES = ['Anna', 'Lukas', 'Maria', 'Jonas', 'Sofia', 'Elias', 'Emma', 'Noah', 'Mia', 'Leon', 'Olivia', 'James', 'Priya', 'Mateo', 'Chen', 'Fatima', 'Oliver', 'Hannah', 'Yusuf', 'Clara'];
const LAST_NAMES = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Johnson', 'Garcia', 'Nguyen', 'Kowalski', 'Rossi', 'Smith', 'Dubois', 'Jansen', 'Novak', 'Öztürk', 'Becker', 'Wagner', 'Brown', 'Silva', 'Tanaka'];
const AGENTS = ['Sam Carter', 'Julia Hoffmann', 'Ravi Patel', 'Lena Vogel', 'Tom Brooks', 'Ines Moreau'];
const ORGANIZATIONS = ['Acme GmbH', 'Globex Ltd', 'Initech AG', 'Umbrella BV', 'Hooli Inc', 'Stark Retail', 'Wayne Logistics', 'Tyrell Systems'];
const PRIORITIES: SandboxThread['priority'][] = ['low', 'normal', 'normal', 'normal', 'high', 'urgent'];
const STATUSES: SandboxThread['status'][] = ['solved', 'solved', 'closed', 'open', 'pending', 'new'];
const INTERNAL_NOTES = [
  'Checked the order in the back office, nothing unusual.',
  'Customer is on the premium plan, please prioritise.',
  'Escalated to billing, waiting for their answer.',
  'Same issue reported twice this week; linking to the known problem.',
  'Verified identity via the account email before replying.',
];
const FOLLOW_UPS = ['Thanks, that worked!', 'Thank you, that solved it.', 'Great, appreciate the quick help.', 'It still does not work, what else can I try?'];
const AUTO_REPLY = 'Thank you for contacting us. We have received your request and will get back to you within 24 hours. This is an automated message.';

const PLACEHOLDER_VALUES: Record<string, string> = {
  'Website Name': 'our website',
  'Website URL': 'www.example-shop.com',
  'Customer Support Phone Number': '+1 800 555 0199',
  'Customer Support Hours': '9am to 6pm, Monday to Friday',
  'Customer Support Availability': 'from 9am to 6pm on weekdays',
  'Live Chat': 'live chat',
  'Online Company Portal Info': 'the customer portal',
};

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function emailFor(name: string, domain: string): string {
  const local = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]+/g, '.');
  return `${local}@${domain}`;
}

function person(random: () => number, withPhone: boolean): SandboxPerson {
  const name = `${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}`;
  const phone = withPhone ? `+49 30 ${Math.floor(1_000_000 + random() * 8_999_999)}` : null;
  return { name, email: emailFor(name, pick(random, ['example.com', 'example.org', 'mail.example.net'])), phone };
}

/** Fills the template's {{Placeholders}} so replies read like a real agent's. */
export function fillPlaceholders(template: string, random: () => number): string {
  return template.replace(/\{\{([^}]+)\}\}/g, (_match, key: string) => {
    const known = PLACEHOLDER_VALUES[key];
    if (known) return known;
    if (/number|id/i.test(key)) return String(Math.floor(100_000 + random() * 899_999));
    return key.toLowerCase();
  });
}

function subjectFor(instruction: string): string {
  const firstLine = instruction.split(/[.?!\n]/)[0]?.trim() ?? instruction;
  const subject = firstLine.length > 70 ? `${firstLine.slice(0, 67)}...` : firstLine;
  return subject.charAt(0).toUpperCase() + subject.slice(1);
}

export interface GenerateOptions {
  seed: number;
  count: number;
  /** Creation time of the first thread; later threads follow minutes apart. */
  start?: Date;
}

/** Generates `count` threads. Thread n depends only on (seed, n), so growing `count` keeps earlier threads. */
export function generateSupportThreads({ seed, count, start = new Date('2025-01-06T08:00:00Z') }: GenerateOptions): SandboxThread[] {
  const rows = loadBitextRows();
  const threads: SandboxThread[] = [];
  for (let number = 1; number <= count; number++) threads.push(generateThread(rows, seed, number, start));
  return threads;
}

function generateThread(rows: BitextRow[], seed: number, number: number, start: Date): SandboxThread {
  const random = seededRandom(seed * 1_000_003 + number);
  const row = pick(random, rows);
  const customer = person(random, random() < 0.3);
  const agentName = pick(random, AGENTS);
  const agent: SandboxPerson = { name: agentName, email: emailFor(agentName, 'support.example-shop.com'), phone: null };
  const createdAt = new Date(start.getTime() + number * 7 * 60_000 + Math.floor(random() * 60_000));
  let at = createdAt.getTime();
  const next = () => new Date((at += 5 * 60_000 + Math.floor(random() * 3 * 3_600_000)));

  const signature = customer.phone ? `\n\n${customer.name}\n${customer.phone}` : `\n\nBest,\n${customer.name}`;
  const turns: SandboxTurn[] = [{ kind: 'customer', author: customer, body: row.instruction + signature, at: new Date(at) }];
  if (random() < 0.25) turns.push({ kind: 'bot', author: null, body: AUTO_REPLY, at: next() });
  if (random() < 0.4) turns.push({ kind: 'internal', author: agent, body: pick(random, INTERNAL_NOTES), at: next() });
  turns.push({ kind: 'agent', author: agent, body: `Hi ${customer.name.split(' ')[0]},\n\n${fillPlaceholders(row.response, random)}\n\n${agent.name}`, at: next() });
  if (random() < 0.35) {
    const followUp = pick(random, FOLLOW_UPS);
    turns.push({ kind: 'customer', author: customer, body: followUp, at: next() });
    if (followUp.startsWith('It still')) {
      turns.push({ kind: 'agent', author: agent, body: `Sorry to hear that, ${customer.name.split(' ')[0]}. I have escalated your request to our specialists; you will hear from us within one business day.\n\n${agent.name}`, at: next() });
    }
  }

  return {
    number,
    subject: subjectFor(row.instruction),
    intent: row.intent,
    category: row.category,
    priority: pick(random, PRIORITIES),
    status: pick(random, STATUSES),
    language: 'en',
    customer,
    agent,
    organization: pick(random, ORGANIZATIONS),
    createdAt,
    updatedAt: new Date(at),
    turns,
  };
}
