/**
 * Incremental scans by modification time, the way both harvest phases walk HubSpot: threads by
 * latestMessageTimestamp, tickets by hs_lastmodifieddate, oldest first.
 *
 * A position says what has been yielded: everything modified before `since` (epoch ms), and at
 * exactly `since` the ids in `seen`. That tiebreak does not depend on the order HubSpot returns
 * records with equal timestamps in (it documents none), and it survives a resume: the next query
 * starts at `since` and skips `seen`. Each page is a fresh query from the last timestamp read
 * (keyset paging), never an offset, so records that change while a harvest runs cannot shift
 * others out of view, and the CRM search's 10,000-result cap is never reached. Only when a whole
 * page shares one timestamp does a phase page inside it (tickets by hs_object_id, threads by
 * HubSpot's paging token).
 */
import { z } from 'zod';

export const ThreadPosition = z.object({ since: z.number().int().min(0), seen: z.array(z.string()) }).strict();
export type ThreadPosition = z.infer<typeof ThreadPosition>;

export const TicketPosition = z
  .object({
    since: z.number().int().min(0),
    seen: z.array(z.string()),
    /** HubSpot's clock when the page holding `since` was read; the next run looks back from it. */
    scannedAt: z.number().int().nullable(),
  })
  .strict();
export type TicketPosition = z.infer<typeof TicketPosition>;

/** The position after yielding record `id` modified at `at`; records older than `since` (look-back) leave it. */
export function advance<P extends { since: number; seen: string[] }>(position: P, at: number, id: string): P {
  if (at > position.since) return { ...position, since: at, seen: [id] };
  if (at === position.since && !position.seen.includes(id)) return { ...position, seen: [...position.seen, id] };
  return position;
}

/** Where one run's queries have got to: the latest timestamp read and the ids read at it. */
export class ScanFront {
  private ids: Set<string>;

  constructor(
    public at: number,
    ids: Iterable<string> = [],
  ) {
    this.ids = new Set(ids);
  }

  /** Read already in this run (or yielded before it, at the starting timestamp). */
  has(at: number, id: string): boolean {
    return at < this.at || (at === this.at && this.ids.has(id));
  }

  observe(at: number, id: string): void {
    if (at > this.at) {
      this.at = at;
      this.ids = new Set([id]);
    } else if (at === this.at) {
      this.ids.add(id);
    }
  }

  /** Past every record at the current timestamp: the next query starts one millisecond later. */
  skipTimestamp(): void {
    this.at += 1;
    this.ids = new Set();
  }
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
