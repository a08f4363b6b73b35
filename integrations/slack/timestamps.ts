/**
 * Slack message timestamps ("1700000000.000100"): seconds and microseconds since the epoch. A ts is
 * also the message's id, unique within its channel, so it is compared exactly: as an integer count of
 * microseconds (about 1.8e15 today, well inside Number.MAX_SAFE_INTEGER), never as a float.
 * https://docs.slack.dev/messaging/retrieving-messages#individual_messages
 */
import { z } from 'zod';

const TS_PATTERN = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

/** A Slack ts as it appears in API answers and in our cursors. */
export const SlackTs = z.string().regex(TS_PATTERN, 'a Slack timestamp like "1700000000.000100"');

export function tsMicros(ts: string): number {
  const match = TS_PATTERN.exec(ts);
  if (!match?.[1]) throw new Error(`not a Slack timestamp: ${JSON.stringify(ts)}`);
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0'));
}

export function tsFromMicros(micros: number): string {
  const whole = Math.max(0, Math.floor(micros));
  return `${Math.floor(whole / 1_000_000)}.${String(whole % 1_000_000).padStart(6, '0')}`;
}

export function tsFromDate(date: Date): string {
  return tsFromMicros(date.getTime() * 1000);
}

/** The instant of a ts, to the millisecond (Date's resolution). */
export function tsToDate(ts: string): Date {
  return new Date(Math.floor(tsMicros(ts) / 1000));
}

export function compareTs(a: string, b: string): number {
  return tsMicros(a) - tsMicros(b);
}

export function laterTs(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return compareTs(a, b) >= 0 ? a : b;
}

export function isAfter(ts: string | null | undefined, than: string): boolean {
  return ts !== null && ts !== undefined && compareTs(ts, than) > 0;
}
