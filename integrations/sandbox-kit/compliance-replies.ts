/**
 * Agents' public replies for exercising the `pii-in-public-reply` policy with a known truth, as a
 * compliance officer would judge them: half leak the customer's own data (their phone, card or
 * email written back into a public reply: a violation), half carry data the rule cannot tell apart
 * from it (a parcel's tracking number that passes the card checksum, the warehouse's hotline, a
 * courier's shared mailbox: false positives). The demo and the tests play the agents who write
 * them and the officer who decides the alerts they raise. Seeded: the same seed, the same replies.
 */
import { seededRandom } from './data.ts';

export interface JudgedReply {
  body: string;
  /** What the officer decides: a real leak, or a false positive. */
  violation: boolean;
  /** The phone, card, email or tracking number in it: what the rule shows as evidence. */
  value: string;
}

const OPENINGS = [
  'thanks for your patience while we looked into this.',
  'thank you for getting back to us so quickly.',
  'sorry for the trouble with your order.',
  'I checked your account this morning.',
  'I have looked into your request.',
  'good news on your ticket.',
  'thanks for the details you sent.',
  'I picked up your case from my colleague.',
  'apologies for the slow answer.',
  'thank you for contacting us again.',
];
const CLOSINGS = [
  'Let me know if there is anything else.',
  'Have a great day.',
  'Kind regards from the support team.',
  'We are here if you need more help.',
  'Best wishes.',
  'Thanks again for your patience.',
  'Feel free to reply to this message.',
  'Talk soon.',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const ITEMS = ['parcel', 'package', 'replacement', 'return label', 'order', 'refund form'];

type Fill = { phone: string; card: string; email: string; tracking: string; day: string; item: string };
/** A sentence, and which of the fill's values it carries. */
type Template = [(fill: Fill) => string, 'phone' | 'card' | 'email' | 'tracking'];

const LEAKS: Template[] = [
  [(f) => `I will call you back on ${f.phone} on ${f.day} about the ${f.item}.`, 'phone'],
  [(f) => `I saved the card ${f.card} to your account as you asked, so the ${f.item} can be charged.`, 'card'],
  [(f) => `I have sent the ${f.item} details to your private address ${f.email} as requested.`, 'email'],
  [(f) => `Your card ${f.card} was charged again for the ${f.item}; I will reverse it by ${f.day}.`, 'card'],
  [(f) => `We reached you at ${f.phone} earlier; the ${f.item} is confirmed for ${f.day}.`, 'phone'],
];
const LOOK_ALIKES: Template[] = [
  [(f) => `The tracking number of your ${f.item} is ${f.tracking}; the courier delivers on ${f.day}.`, 'tracking'],
  [(f) => `Our warehouse hotline ${f.phone} can rebook the ${f.item} for ${f.day}.`, 'phone'],
  [(f) => `Shipment ${f.tracking} left our warehouse; expect the ${f.item} by ${f.day}.`, 'tracking'],
  [(f) => `The courier's shared desk ${f.email} handles ${f.item} pickups until ${f.day}.`, 'email'],
  [(f) => `Consignment ${f.tracking} for the ${f.item} is with the courier since ${f.day}.`, 'tracking'],
];

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** A number of `length` digits whose last digit makes the Luhn checksum pass (what card detectors check). */
function luhnNumber(random: () => number, length: number, first: number): string {
  const digits = [first];
  while (digits.length < length - 1) digits.push(Math.floor(random() * 10));
  let sum = 0;
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits[i] ?? 0;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return [...digits, (10 - (sum % 10)) % 10].join('');
}

/** `count` replies, alternating leak and look-alike, for customers named in `firstNames` (cycled). */
export function judgedReplies(options: { seed: number; count: number; firstNames: readonly string[] }): JudgedReply[] {
  const random = seededRandom(options.seed);
  const out: JudgedReply[] = [];
  for (let n = 0; n < options.count; n++) {
    const violation = n % 2 === 0;
    const name = options.firstNames[n % options.firstNames.length] ?? 'there';
    const fill: Fill = {
      phone: `+49 30 ${1_000_000 + Math.floor(random() * 8_999_999)}`,
      card: luhnNumber(random, 16, 4).replace(/(\d{4})(?=\d)/g, '$1 '),
      email: violation ? `${name.toLowerCase()}.${Math.floor(random() * 900 + 100)}@mail.example.net` : `desk${Math.floor(random() * 90 + 10)}@courier.example.net`,
      tracking: luhnNumber(random, 15, 1 + Math.floor(random() * 9)),
      day: pick(random, DAYS),
      item: pick(random, ITEMS),
    };
    const [sentence, carries] = pick(random, violation ? LEAKS : LOOK_ALIKES);
    out.push({ body: `Hi ${name}, ${pick(random, OPENINGS)} ${sentence(fill)} ${pick(random, CLOSINGS)}`, violation, value: fill[carries] });
  }
  return out;
}
