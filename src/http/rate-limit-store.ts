import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { sql } from 'drizzle-orm';
import { param, type Db } from '../db/database.js';

/**
 * Counts a hit on `key` in fixed windows of `windowMs`, in the shared counters'
 * database (src/db/counter-db.ts), so every process (and every replica) counts
 * against the same limit. One atomic upsert per hit, on either engine.
 */
const hit = sql`INSERT INTO rate_limit_hits (key, hits, resets_at) VALUES (${param('key')}, 1, ${param('resetsAt')})
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN rate_limit_hits.resets_at <= ${param('now')} THEN 1 ELSE rate_limit_hits.hits + 1 END,
    resets_at = CASE WHEN rate_limit_hits.resets_at <= ${param('now')} THEN ${param('resetsAt')} ELSE rate_limit_hits.resets_at END
  RETURNING hits, resets_at AS "resetsAt"`;
const purgeEnded = sql`DELETE FROM rate_limit_hits WHERE resets_at <= ${param('now')}`;

/** Ended windows are deleted after this many hits in a process: rows stay few without a timer. */
const HITS_PER_PURGE = 1_000;

export interface HitCount {
  /** Hits in the current window, this one included. */
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

export async function countHit(db: Db, key: string, windowMs: number, now = Date.now()): Promise<HitCount> {
  const row = (await db.get<{ hits: number; resetsAt: number }>(hit, { key, now, resetsAt: now + windowMs }))!;
  return { current: row.hits, ttl: Math.max(0, row.resetsAt - now) };
}

/** A store for @fastify/rate-limit that keeps its counters in the database (countHit). */
export function databaseRateLimitStore(db: Db): FastifyRateLimitStoreCtor {
  let hitsSincePurge = 0;
  class DatabaseStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: HitCount) => void, timeWindow: number): void {
      countHit(db, key, timeWindow).then(
        async (result) => {
          if (++hitsSincePurge >= HITS_PER_PURGE) {
            hitsSincePurge = 0;
            await db.run(purgeEnded, { now: Date.now() });
          }
          callback(null, result);
        },
        (error: Error) => callback(error),
      );
    }
    child(): FastifyRateLimitStore {
      return this;
    }
  }
  return DatabaseStore as unknown as FastifyRateLimitStoreCtor;
}
