import { openDb } from '../src/db/client.js';
import { searchBookmarks } from '../src/bookmarks/search-queries.js';
import { parseSearch } from '../src/bookmarks/search.js';

export interface QueryCost {
  search: string;
  total: number;
  /** Median ms of searchBookmarks when the total must be counted (first time, or after any write). */
  coldMs: number;
  /** Median ms when the total is remembered (the same search again, "Load more", dashboard reloads). */
  warmMs: number;
}

const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** searchBookmarks alone, in this process: the SQL share of a search, without HTTP or templates. */
export function measureQueryCosts(path: string, ownerSub: string, searches: string[], rounds = 25): QueryCost[] {
  const db = openDb(path);
  // Any write forgets remembered totals; a temporary table keeps the data untouched.
  db.$client.exec('CREATE TEMP TABLE bench_touch (n INTEGER)');
  const touch = db.$client.prepare('INSERT INTO bench_touch VALUES (1)');
  const costs = searches.map((search) => {
    const query = parseSearch(search);
    const time = (before: () => void): number => {
      before();
      const started = performance.now();
      searchBookmarks(db, ownerSub, query);
      return performance.now() - started;
    };
    const cold = Array.from({ length: rounds }, () => time(() => touch.run()));
    const warm = Array.from({ length: rounds }, () => time(() => {}));
    return { search, total: searchBookmarks(db, ownerSub, query).total, coldMs: median(cold), warmMs: median(warm) };
  });
  db.$client.close();
  return costs;
}
