import { sql } from 'drizzle-orm';
import type { Db } from './database.js';

/**
 * Counts cost most of a search at 100k bookmarks (every match is read, or for lists
 * up to LIST_COUNT_UP_TO), and the same total is asked for again by every dashboard
 * load and every "Load more".
 * So SQLite counts are remembered per database until it changes: the version
 * is the reading connection's total_changes() (its own writes, for :memory:)
 * and PRAGMA data_version, which moves whenever any other connection commits,
 * in this process or another one on the same file, so no total outlives a write.
 * Keys must name everything the count depends on, the owner included.
 */
interface TotalsMemo {
  version: string;
  /** The count's promise: searches asking for a total while it is counted wait for that one count. */
  totals: Map<string, Promise<number>>;
}
/**
 * Totals kept per database, on either engine: a few thousand searches' worth (a SQLite search
 * asks for two, everyone's matches to pick a plan and the owner's).
 */
export const REMEMBERED_TOTALS_MAX = 5_000;
const memos = new WeakMap<Db, TotalsMemo>();
const readVersion = sql`SELECT total_changes() || '.' || (SELECT data_version FROM pragma_data_version) AS version`;

/** The totals remembered at the database's current version: read once per search, emptied when the version has moved. */
export async function currentTotals(db: Db): Promise<Map<string, Promise<number>>> {
  let memo = memos.get(db);
  if (!memo) {
    memo = { version: '', totals: new Map() };
    memos.set(db, memo);
  }
  // Kept until the next commit by any process (getUnlessChanged): until then the version cannot move.
  const { version } = (await db.getUnlessChanged<{ version: string }>('remembered totals version', readVersion))!;
  // A count that a write overtook goes with the rest: the first search to read the new version clears the map.
  if (version !== memo.version) {
    memo.version = version;
    memo.totals.clear();
  }
  return memo.totals;
}

/**
 * The total under `key` in `totals`, counted only if no request has asked for it yet: what is
 * kept is the count's promise, so requests asking while it is counted wait for that one count.
 * Full, the oldest total goes, not all of them (which would make every search count again at
 * once); a count that failed is not kept, so the next request counts again. Keys must name the
 * data version they were counted at, or the map must be cleared when it moves.
 */
export function countOnce<Counted = number>(totals: Map<string, Promise<Counted>>, key: string, count: () => Promise<Counted>, maxEntries: number): Promise<Counted> {
  const known = totals.get(key);
  if (known) return known;
  const total = count();
  if (totals.size >= maxEntries) totals.delete(totals.keys().next().value!);
  totals.set(key, total);
  total.catch(() => {
    if (totals.get(key) === total) totals.delete(key);
  });
  return total;
}
