import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type SQL } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { param, type Db, type Queryable } from '../db/database.js';

/*
 * FTS5 keeps its index as segments. Every write transaction adds one and FTS5
 * merges them only level by level, so an import, or months of saving, leaves
 * the index in several large segments, and every search reads them all: on
 * 100,000 bookmarks in 12 segments a search took 350 µs, in one 225 µs (bench).
 * So the segments are merged into one, in steps of at most MERGE_PAGES pages,
 * each its own short write transaction, with a pause between them so that
 * requests and other writers go on. A merge rewrites the whole index, so it is
 * done only once the segments besides the largest hold a tenth of it: soon
 * after an import, rarely for a few saves (their small segments cost little).
 * PostgreSQL keeps its GIN index itself (autovacuum): there this does nothing.
 */

/*
 * The index holds each bookmark under the negative of its id (migration 0021), and FTS5 writes
 * out its pending terms at every row whose key falls below the one before: rows inserted in id
 * order, many to a statement, would each be written out alone (a statement of 200 four times
 * slower, the benchmark's seed of 120,000 bookmarks 15.8 s instead of 8.3). So a statement of
 * many turns the insert trigger off in its own transaction (search_index_deferred, seen by no
 * other connection) and its rows go into the index in one statement, highest id first.
 */
const deferSearchIndex = sql`INSERT INTO search_index_deferred (deferred) VALUES (1)`;
const resumeSearchIndex = sql`DELETE FROM search_index_deferred`;
const highestBookmarkId = sql`SELECT coalesce(max(id), 0) AS id FROM bookmarks`;
const indexBookmarksAbove = sql`INSERT INTO bookmarks_fts (rowid, owner, title, url, tags, description)
  SELECT -id, 'o' || hex(owner_sub), title, url, tags, description FROM bookmarks WHERE id > ${param('id')} ORDER BY id DESC`;

/**
 * Runs `insert`, a statement that adds bookmarks above every id the table holds, and indexes them
 * as the insert trigger would, in one statement. SQLite only; `tx` must be a transaction.
 */
export async function insertAndIndexInBulk(tx: Queryable, insert: SQL): Promise<void> {
  const { id } = (await tx.get<{ id: number }>(highestBookmarkId))!;
  await tx.run(deferSearchIndex);
  try {
    await tx.run(insert);
    await tx.run(indexBookmarksAbove, { id });
  } finally {
    await tx.run(resumeSearchIndex);
  }
}

/** Merge once the segments besides the largest hold this share of the index. */
export const MERGE_AT_SHARE = 0.1;
/** Pages one step merges: a few milliseconds of the event loop. */
const MERGE_PAGES = 64;
/** The pause between steps, so requests and other writes go first. */
const STEP_PAUSE_MS = 5;
/** A run stops after this many steps (a 100,000-bookmark index takes about 170) and goes on at the next check. */
const MAX_STEPS_PER_RUN = 2_000;
/** How often each process looks at the index, give or take a tenth so that workers started together do not look together. */
const CHECK_INTERVAL_MS = 60 * 60 * 1000;
/** After start, a quiet moment before the first look. */
const FIRST_CHECK_DELAY_MS = 30 * 1000;

// %_idx holds a row for each leaf page on which a term starts: its rows per segment measure the segment's size.
const segmentSizes = sql`SELECT count(*) AS pages FROM bookmarks_fts_idx GROUP BY segid`;
/*
 * A negative page count starts FTS5's incremental 'optimize': every segment, whatever its
 * level, goes into one merge. A positive count goes on with a merge under way, leaving
 * segments written since (saves between steps) to the next run; another negative step
 * would start over with them, and steady saves would keep it from ever finishing.
 */
const mergeStep = sql`INSERT INTO bookmarks_fts(bookmarks_fts, rank) VALUES ('merge', ${param('pages')})`;
const totalChanges = sql`SELECT total_changes() AS changes`;

export interface SearchIndexShape {
  segments: number;
  /** Approximate leaf pages of the whole index, and of its largest segment. */
  pages: number;
  largestPages: number;
}

export async function searchIndexShape(db: Db): Promise<SearchIndexShape> {
  const sizes = (await db.all<{ pages: number }>(segmentSizes)).map((row) => Number(row.pages));
  return { segments: sizes.length, pages: sizes.reduce((sum, pages) => sum + pages, 0), largestPages: Math.max(0, ...sizes) };
}

export function needsMerge(shape: SearchIndexShape): boolean {
  return shape.segments > 1 && shape.pages - shape.largestPages >= MERGE_AT_SHARE * shape.pages;
}

export interface SearchIndexMergeReport {
  before: SearchIndexShape;
  after: SearchIndexShape;
  steps: number;
}

/**
 * Merges the SQLite search index into one segment when needsMerge says so.
 * Returns null on PostgreSQL. `stopping` is asked before every step: a shutdown
 * leaves the merge where it is, and the next run goes on from there.
 */
export async function mergeSearchIndex(db: Db, { stopping = (): boolean => false }: { stopping?: () => boolean } = {}): Promise<SearchIndexMergeReport | null> {
  if (db.engine !== 'sqlite') return null;
  const before = await searchIndexShape(db);
  let steps = 0;
  if (needsMerge(before)) {
    while (steps < MAX_STEPS_PER_RUN && !stopping()) {
      const pages = steps === 0 ? -MERGE_PAGES : MERGE_PAGES;
      // FTS5 tells a step that found nothing left to merge only by changing nothing.
      const merged = await db.transaction(async (tx) => {
        const changesBefore = (await tx.get<{ changes: number }>(totalChanges))!.changes;
        await tx.run(mergeStep, { pages });
        return (await tx.get<{ changes: number }>(totalChanges))!.changes - changesBefore >= 2;
      });
      if (!merged) break;
      steps++;
      await sleep(STEP_PAUSE_MS);
    }
  }
  return { before, after: steps > 0 ? await searchIndexShape(db) : before, steps };
}

/**
 * Runs mergeSearchIndex in the background when asked (after an import) and, once
 * started, half a minute later and then hourly. One run at a time per process;
 * processes on one file take turns on its write lock, and a merge one of them
 * began is carried on by whichever steps next. A failed run is logged and tried
 * again at the next check.
 */
export class SearchIndexUpkeep {
  readonly #db: Db;
  readonly #log: FastifyBaseLogger;
  #running: Promise<void> | null = null;
  #runAgain = false;
  #closed = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(db: Db, log: FastifyBaseLogger) {
    this.#db = db;
    this.#log = log;
  }

  /** Starts the periodic checks (the app does in production; tests ask for runs themselves). */
  start(): void {
    if (this.#db.engine !== 'sqlite' || this.#closed) return;
    const scheduleCheck = (delayMs: number): void => {
      this.#timer = setTimeout(() => {
        this.request();
        scheduleCheck(CHECK_INTERVAL_MS * (0.9 + Math.random() * 0.2));
      }, delayMs).unref();
    };
    scheduleCheck(FIRST_CHECK_DELAY_MS);
  }

  /** Asks for a run; one already running runs once more when it ends, since rows it did not see may have come in. */
  request(): void {
    if (this.#db.engine !== 'sqlite' || this.#closed) return;
    if (this.#running) {
      this.#runAgain = true;
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = null;
      if (this.#runAgain && !this.#closed) {
        this.#runAgain = false;
        this.request();
      }
    });
  }

  async #run(): Promise<void> {
    try {
      const report = await mergeSearchIndex(this.#db, { stopping: () => this.#closed });
      if (report && report.steps > 0) this.#log.info(report, 'search index merged');
    } catch (error) {
      this.#log.warn({ err: error }, 'search index upkeep failed; it is tried again at the next check');
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
