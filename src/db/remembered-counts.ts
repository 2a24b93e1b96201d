import type { Db } from './client.js';

/**
 * Counts cost most of a search at 100k bookmarks (every match is read), and the
 * same total is asked for again by every dashboard load and every "Load more".
 * So counts are remembered per connection until the database changes: this
 * connection's total_changes() or, for other connections, PRAGMA data_version.
 * Keys must name everything the count depends on, the owner included.
 */
interface TotalsMemo {
  version: string;
  totals: Map<string, number>;
  readVersion: () => string;
}
const MEMO_MAX_ENTRIES = 500;
const memos = new WeakMap<Db['$client'], TotalsMemo>();

function memoFor(db: Db): TotalsMemo {
  let memo = memos.get(db.$client);
  if (!memo) {
    const changes = db.$client.prepare('SELECT total_changes()').pluck();
    const dataVersion = db.$client.prepare('PRAGMA data_version').pluck();
    memo = { version: '', totals: new Map(), readVersion: () => `${changes.get()}.${dataVersion.get()}` };
    memos.set(db.$client, memo);
  }
  return memo;
}

export function rememberedCount(db: Db, key: string, count: () => number): number {
  // Inside a transaction a total could include writes that are later rolled back.
  if (db.$client.inTransaction) return count();
  const memo = memoFor(db);
  const version = memo.readVersion();
  if (version !== memo.version || memo.totals.size >= MEMO_MAX_ENTRIES) {
    memo.version = version;
    memo.totals.clear();
  }
  let total = memo.totals.get(key);
  if (total === undefined) {
    total = count();
    memo.totals.set(key, total);
  }
  return total;
}
