import { sql } from 'drizzle-orm';
import { openDb } from '../src/db/client.js';
import { LIST_COUNT_UP_TO, LIST_PAGE_SIZE } from '../src/bookmarks/routes.js';
import { searchBookmarks, type SearchOptions } from '../src/bookmarks/search-plans.js';
import { parseSearch } from '../src/bookmarks/search-syntax.js';

export interface QueryCost {
  search: string;
  total: number;
  /** Median ms of searchBookmarks when the total must be counted (first time, or after any write). */
  coldMs: number;
  /** The same, counting matches only up to LIST_COUNT_UP_TO, as the pages do. */
  listColdMs: number;
  /** Median ms when the total is remembered (the same search again, "Load more", dashboard reloads). */
  warmMs: number;
}

/** Nearest rank: the smallest of `values` that at least `share` of them do not exceed (sorts `values`). */
const percentile = (values: number[], share: number): number => values.sort((a, b) => a - b)[Math.max(0, Math.ceil(share * values.length) - 1)]!;
/** Of an odd number of values (25 rounds), the middle one. */
const median = (values: number[]): number => percentile(values, 0.5);

/** searchBookmarks alone, in this process: the SQL share of a search, without HTTP or templates. */
export async function measureQueryCosts(path: string, ownerSub: string, searches: string[], rounds = 25): Promise<QueryCost[]> {
  const db = await openDb({ engine: 'sqlite', path });
  // Any committed write forgets remembered totals; a table of its own keeps the bookmarks untouched.
  // (Not a TEMP table: searches read on another connection, which sees only commits to the file.)
  await db.run(sql`CREATE TABLE IF NOT EXISTS bench_touch (n INTEGER)`);
  const touch = sql`INSERT INTO bench_touch VALUES (1)`;
  const costs: QueryCost[] = [];
  for (const search of searches) {
    const query = parseSearch(search);
    const time = async (before: () => Promise<unknown>, options: SearchOptions = {}): Promise<number> => {
      await before();
      const started = performance.now();
      await searchBookmarks(db, ownerSub, query, null, undefined, options);
      return performance.now() - started;
    };
    const cold: number[] = [];
    for (let i = 0; i < rounds; i++) cold.push(await time(() => db.run(touch)));
    const listCold: number[] = [];
    for (let i = 0; i < rounds; i++) listCold.push(await time(() => db.run(touch), { countUpTo: LIST_COUNT_UP_TO }));
    const warm: number[] = [];
    for (let i = 0; i < rounds; i++) warm.push(await time(async () => {}));
    costs.push({ search, total: (await searchBookmarks(db, ownerSub, query)).total, coldMs: median(cold), listColdMs: median(listCold), warmMs: median(warm) });
  }
  await db.close();
  return costs;
}

export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

/**
 * Searches never asked before, each once, as a list asks for them (a first page, counted up to
 * LIST_COUNT_UP_TO), a turn of the event loop apart as requests are: the SQL share of the typing
 * scenario, which over HTTP also carries the answer's own work and V8's garbage collection.
 */
export async function measureNeverAskedCosts(path: string, ownerSub: string, searches: string[]): Promise<Spread> {
  const db = await openDb({ engine: 'sqlite', path });
  const times: number[] = [];
  for (const search of searches) {
    const query = parseSearch(search);
    const started = performance.now();
    await searchBookmarks(db, ownerSub, query, null, LIST_PAGE_SIZE, { countUpTo: LIST_COUNT_UP_TO });
    times.push(performance.now() - started);
    await new Promise((next) => setImmediate(next));
  }
  await db.close();
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: percentile(times, 1) };
}
