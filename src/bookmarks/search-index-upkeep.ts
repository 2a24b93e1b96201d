import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { param, type Db } from '../db/database.js';

/*
 * FTS5 keeps its index as segments. Every write transaction adds one, and FTS5
 * merges them only level by level, so an index built up over time, or by an
 * import, holds a dozen or more. Every search reads every segment: on 100,000
 * bookmarks, twelve segments cost 35-45 % more per search than one (bench:
 * 350 µs against 225 µs for the typed-search mix). Upkeep merges them into one,
 * in steps of at most MERGE_PAGES pages, each its own short write transaction,
 * giving way to requests and other writers between steps. PostgreSQL keeps its
 * GIN index itself (autovacuum), so there upkeep does nothing.
 */

/** Above this many segments the index is merged into one. A merge rewrites the whole index, so small leftovers are left alone. */
export const SEARCH_INDEX_SEGMENTS_MAX = 6;
/** Pages one step merges: a few milliseconds of the event loop. */
const MERGE_PAGES = 64;
/** The pause between steps, so requests and other writes go first. */
const STEP_PAUSE_MS = 5;
/** How often each process looks at the index (a count of a few thousand small rows). */
const CHECK_INTERVAL_MS = 60 * 60 * 1000;
/** After start, a quiet moment before the first look. */
const FIRST_CHECK_DELAY_MS = 30 * 1000;

const countSegments = sql`SELECT count(DISTINCT segid) AS segments FROM bookmarks_fts_idx`;
// A negative page count merges every segment, whatever its level, into one (FTS5's incremental 'optimize').
const mergeStep = sql`INSERT INTO bookmarks_fts(bookmarks_fts, rank) VALUES ('merge', ${param('pages')})`;
const totalChanges = sql`SELECT total_changes() AS changes`;

export async function searchIndexSegments(db: Db): Promise<number> {
  return (await db.get<{ segments: number }>(countSegments))!.segments;
}

export interface TidyReport {
  segmentsBefore: number;
  segmentsAfter: number;
  steps: number;
}

/**
 * Merges the SQLite search index into one segment when it holds more than
 * `segmentsMax`. Returns null on PostgreSQL. `stopping` is asked before every
 * step: a shutdown leaves the merge where it is (FTS5 keeps the progress in the
 * index, so the next run goes on from there).
 */
export async function tidySearchIndex(
  db: Db,
  { segmentsMax = SEARCH_INDEX_SEGMENTS_MAX, stopping = (): boolean => false }: { segmentsMax?: number; stopping?: () => boolean } = {},
): Promise<TidyReport | null> {
  if (db.engine !== 'sqlite') return null;
  const segmentsBefore = await searchIndexSegments(db);
  let steps = 0;
  if (segmentsBefore > segmentsMax) {
    while (!stopping()) {
      // FTS5 reports a step that found nothing left to merge only as no change to the database.
      const merged = await db.transaction(async (tx) => {
        const before = (await tx.get<{ changes: number }>(totalChanges))!.changes;
        await tx.run(mergeStep, { pages: -MERGE_PAGES });
        return (await tx.get<{ changes: number }>(totalChanges))!.changes - before >= 2;
      });
      if (!merged) break;
      steps++;
      await sleep(STEP_PAUSE_MS);
    }
  }
  return { segmentsBefore, segmentsAfter: steps > 0 ? await searchIndexSegments(db) : segmentsBefore, steps };
}

/**
 * Runs tidySearchIndex in the background: shortly after start, once an hour,
 * and when asked (after an import). One run at a time per process; several
 * processes on one file share the work, since each step continues the merge
 * the index records. A failed run is logged and tried again at the next turn.
 */
export class SearchIndexUpkeep {
  readonly #db: Db;
  readonly #log: FastifyBaseLogger;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(db: Db, log: FastifyBaseLogger) {
    this.#db = db;
    this.#log = log;
  }

  /** Starts the periodic checks (not in tests, which ask for runs themselves). */
  start(): void {
    if (this.#db.engine !== 'sqlite' || this.#closed) return;
    const check = (delayMs: number): void => {
      this.#timer = setTimeout(() => {
        this.request();
        check(CHECK_INTERVAL_MS);
      }, delayMs).unref();
    };
    check(FIRST_CHECK_DELAY_MS);
  }

  /** Asks for a run; one already running runs once more when it ends, since rows it did not see may have come in. */
  request(): void {
    if (this.#db.engine !== 'sqlite' || this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = null;
      if (this.#again && !this.#closed) {
        this.#again = false;
        this.request();
      }
    });
  }

  async #run(): Promise<void> {
    try {
      const report = await tidySearchIndex(this.#db, { stopping: () => this.#closed });
      if (report && report.steps > 0) this.#log.info(report, 'search index merged');
    } catch (error) {
      this.#log.warn({ err: error }, 'search index upkeep failed; it is tried again later');
    }
  }

  /** Resolves when no run is in progress (or asked for). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops the checks and lets a run in progress end after its current step, before the database closes. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.settled();
  }
}
