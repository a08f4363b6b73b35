/**
 * Usage of the inference API: one row per request (tokens in/out, latency, model, token, status,
 * cost), never the prompt or the answer unless INFERENCE_KEEP_SCRUBBED_BODIES is on. Rows are
 * written in small groups off the request path (every 200 ms or 500 rows), so counting costs a
 * request nothing; a hard kill loses at most the last 200 ms of rows, and a clean stop flushes.
 */
import { and, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { inferenceUsage } from '../../db/schema/index.ts';
import type { Logger } from '../../log.ts';
import { gatewayCost, gatewayTokens } from './metrics.ts';

export type UsageRow = typeof inferenceUsage.$inferInsert;

const FLUSH_MS = 200;
const MAX_ROWS = 500;

export class UsageRecorder {
  private pending: UsageRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  record(row: UsageRow): void {
    const model = row.modelId ?? row.requested;
    if (row.promptTokens) gatewayTokens.labels(model, 'input').inc(row.promptTokens);
    if (row.completionTokens) gatewayTokens.labels(model, 'output').inc(row.completionTokens);
    if (row.costUsd) gatewayCost.labels(model).inc(row.costUsd);
    this.pending.push(row);
    if (this.pending.length >= MAX_ROWS) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes what is pending; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.pending;
    this.pending = [];
    if (!rows.length) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.db
        .insert(inferenceUsage)
        .values(rows)
        .then(() => undefined)
        .catch((error: unknown) => this.log.error({ err: ((error as { cause?: Error }).cause ?? (error as Error)).message.slice(0, 300), rows: rows.length }, 'inference usage rows could not be stored')),
    );
    return this.flushing;
  }
}

const monthStart = (now = new Date()) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
export const monthKey = (now = new Date()) => now.toISOString().slice(0, 7);

/** What a token spent this calendar month (UTC), read from usage at most every 30 s and counted up in between. */
export class SpendTracker {
  private readonly spent = new Map<string, { usd: number; month: string; readAt: number }>();

  constructor(private readonly db: Db) {}

  async of(tokenId: string): Promise<number> {
    const month = monthKey();
    const entry = this.spent.get(tokenId);
    if (entry && entry.month === month && Date.now() - entry.readAt < 30_000) return entry.usd;
    const [row] = await this.db
      .select({ usd: sql<number>`coalesce(sum(${inferenceUsage.costUsd}), 0)::float8` })
      .from(inferenceUsage)
      .where(and(eq(inferenceUsage.tokenId, tokenId), gte(inferenceUsage.createdAt, monthStart())));
    const usd = Number(row?.usd ?? 0);
    this.spent.set(tokenId, { usd, month, readAt: Date.now() });
    return usd;
  }

  add(tokenId: string, usd: number): void {
    const entry = this.spent.get(tokenId);
    if (entry && entry.month === monthKey()) entry.usd += usd;
  }
}
