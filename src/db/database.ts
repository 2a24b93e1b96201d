import { Placeholder, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';

/*
 * One interface over both engines. better-sqlite3 answers synchronously and pg
 * asynchronously, and drizzle's query builders are typed per dialect, so the
 * domain functions write SQL with drizzle's `sql` tag: once where the engines
 * agree, and as a { sqlite, postgres } pair, side by side, where they don't.
 * Each statement is compiled once per engine and prepared once per connection.
 */

export type Engine = 'sqlite' | 'postgres';

/** SQL that both engines run as written, or one version for each. */
export type Statement = SQL | { readonly sqlite: SQL; readonly postgres: SQL };

/** Values for the statement's named placeholders (`param('owner')`). */
export type Params = Readonly<Record<string, unknown>>;

export interface Queryable {
  readonly engine: Engine;
  /** Every row the statement returns. */
  all<Row>(statement: Statement, params?: Params): Promise<Row[]>;
  /** The first row, or undefined. */
  get<Row>(statement: Statement, params?: Params): Promise<Row | undefined>;
  /** Runs a write and resolves to the number of rows it changed. */
  run(statement: Statement, params?: Params): Promise<number>;
}

export interface Db extends Queryable {
  /**
   * All or nothing: `work` runs its statements through `tx` and the transaction
   * commits when it resolves, or rolls back when it throws. Never use the outer
   * `db` inside `work`: on SQLite its writes wait for this transaction to end.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Reads from here on see every commit made before this call, by any process: the app calls it
   * as each request arrives. SQLite lets reads share a snapshot (src/db/sqlite.ts), which this
   * ends; every PostgreSQL statement sees the latest commits anyway.
   */
  freshSnapshot(): void;
  /**
   * The first row, as get() reads it, or the row read last under the same `key` while no process
   * has committed to the database since: SQLite tells that from its WAL index (src/db/sqlite.ts)
   * without taking a lock. Like any read, it sees every commit made before the last freshSnapshot(),
   * before this turn of the event loop and by this process. PostgreSQL cannot tell a commit without
   * a round trip, so it reads every time.
   * `key` names the statement and its params; the row is shared, so callers must not change it.
   */
  getUnlessChanged<Row>(key: string, statement: Statement, params?: Params): Promise<Row | undefined>;
  close(): Promise<void>;
}

/** A named placeholder, filled from the params object at each run. */
export const param = (name: string): Placeholder => sql.placeholder(name);

/** The database cannot be reached or is too busy to answer now: a 503 for the user, not a bug. */
export class DatabaseUnavailableError extends Error {
  readonly statusCode = 503;
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(cause: unknown) {
    super('The database is not answering', { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

export interface CompiledStatement {
  text: string;
  /** Literal values, or the placeholders to fill at each run. */
  params: unknown[];
}

const dialects = { sqlite: new SQLiteSyncDialect(), postgres: new PgDialect() } as const;
const compiled = { sqlite: new WeakMap<SQL, CompiledStatement>(), postgres: new WeakMap<SQL, CompiledStatement>() };

export function sqlFor(statement: Statement, engine: Engine): SQL {
  return 'getSQL' in statement ? statement : statement[engine];
}

/** The statement's text and parameters for an engine, compiled once per statement object. */
export function compile(statement: Statement, engine: Engine): CompiledStatement {
  const query = sqlFor(statement, engine);
  let result = compiled[engine].get(query);
  if (!result) {
    const { sql: text, params } = dialects[engine].sqlToQuery(query);
    result = { text, params };
    compiled[engine].set(query, result);
  }
  return result;
}

/** Dates travel as milliseconds since the epoch on both engines; undefined as NULL. */
function toDriverValue(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (value === undefined) return null;
  return value;
}

export function bindParams(statement: CompiledStatement, params: Params = {}): unknown[] {
  return statement.params.map((value) => {
    if (value instanceof Placeholder) {
      if (!(value.name in params)) throw new Error(`no value for the statement parameter "${value.name}"`);
      return toDriverValue(params[value.name]);
    }
    return toDriverValue(value);
  });
}
