import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { cleanText, parseTags } from '../bookmarks/validation.js';
import { bindParams, compile, DatabaseUnavailableError, type Db, type Params, type Queryable, type Statement } from './database.js';

type Connection = Database.Database;
type Prepared = Database.Statement;

/** How long a write waits, without blocking the event loop, for another process's write to finish. */
const BUSY_WAIT_MS = 10_000;
/** Prepared statements kept per connection: every static statement of the app, with room for a few dynamic ones. */
const PREPARED_MAX = 500;

/**
 * The app's text rules as SQL functions, for the data migration that restates
 * stored rows by them (drizzle/sqlite 0010). Registered on the connection that
 * migrates: a fresh database runs that migration too.
 */
function registerMigrationFunctions(connection: Connection): void {
  connection.function('fold_tags', { deterministic: true }, (tags: unknown) => parseTags(String(tags ?? '')).join(' '));
  connection.function('clean_title', { deterministic: true }, (title: unknown, url: unknown) => {
    const cleaned = cleanText(String(title ?? ''));
    if (cleaned) return cleaned;
    // As validateBookmark does: a title with nothing left to read becomes the host.
    return URL.canParse(String(url)) ? new URL(String(url)).hostname : String(title ?? '');
  });
}

function openConnection(path: string, readonly: boolean): Connection {
  const connection = new Database(path, { readonly });
  if (!readonly) {
    // WAL lets searches read while a write commits; NORMAL is durable across
    // process crashes in WAL mode (only an OS crash can lose the last commits).
    connection.pragma('journal_mode = WAL');
    connection.pragma('synchronous = NORMAL');
    registerMigrationFunctions(connection);
  }
  connection.pragma('foreign_keys = ON');
  // A lock held by another process is waited for asynchronously (retryWhileBusy):
  // better-sqlite3's own busy wait would stop this process's event loop meanwhile.
  connection.pragma('busy_timeout = 5');
  return connection;
}

const isBusy = (error: unknown): boolean => typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('SQLITE_BUSY');

async function retryWhileBusy<T>(work: () => T): Promise<T> {
  const deadline = Date.now() + BUSY_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return work();
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (Date.now() > deadline) throw new DatabaseUnavailableError(error);
      await sleep(Math.min(50, 2 ** attempt) + Math.random() * 5);
    }
  }
}

/** Statements prepared once per connection (least recently used out first past PREPARED_MAX); they hold SQL, never data, so other processes' writes cannot make them stale. */
class StatementCache {
  private readonly prepared = new Map<string, Prepared>();
  constructor(private readonly connection: Connection) {}
  get(text: string): Prepared {
    let statement = this.prepared.get(text);
    if (statement) {
      this.prepared.delete(text);
    } else {
      statement = this.connection.prepare(text);
      if (this.prepared.size >= PREPARED_MAX) this.prepared.delete(this.prepared.keys().next().value!);
    }
    this.prepared.set(text, statement);
    return statement;
  }
}

/**
 * SQLite through better-sqlite3: one connection for writes and, for a file, a
 * second one for reads, so searches go on while a long import holds the write
 * transaction (WAL gives each read a consistent snapshot). Writes in this
 * process take turns on the writer; other processes on the same file are
 * waited for by retrying, never by blocking the event loop.
 */
export class SqliteDb implements Db {
  readonly engine = 'sqlite' as const;
  readonly writer: Connection;
  private readonly reader: Connection;
  private readonly writerStatements: StatementCache;
  private readonly readerStatements: StatementCache;
  /** Whether each statement text writes, learnt the first time it is prepared. */
  private readonly writes = new Map<string, boolean>();
  /** Set while a transaction holds the writer: other writes wait for it. */
  private turn: Promise<void> | null = null;
  private readonly inTransaction: Queryable;
  private readonly begin: Prepared;
  private readonly commit: Prepared;
  private readonly rollback: Prepared;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    this.writer = openConnection(path, false);
    // An in-memory database exists only on the connection that made it.
    this.reader = path === ':memory:' ? this.writer : openConnection(path, true);
    this.writerStatements = new StatementCache(this.writer);
    this.readerStatements = this.reader === this.writer ? this.writerStatements : new StatementCache(this.reader);
    // IMMEDIATE takes the write lock at once, so no other process can write in between and force a retry.
    this.begin = this.writer.prepare('BEGIN IMMEDIATE');
    this.commit = this.writer.prepare('COMMIT');
    this.rollback = this.writer.prepare('ROLLBACK');
    const run = (statement: Statement, params: Params | undefined) => this.prepareOn(this.writerStatements, statement, params);
    this.inTransaction = {
      engine: 'sqlite',
      all: async <Row>(statement: Statement, params?: Params) => run(statement, params).all() as Row[],
      get: async <Row>(statement: Statement, params?: Params) => run(statement, params).get() as Row | undefined,
      run: async (statement: Statement, params?: Params) => run(statement, params).run().changes,
    };
  }

  private prepareOn(cache: StatementCache, statement: Statement, params: Params | undefined): { all(): unknown[]; get(): unknown; run(): Database.RunResult } {
    const compiled = compile(statement, 'sqlite');
    const prepared = cache.get(compiled.text);
    const values = bindParams(compiled, params);
    return { all: () => prepared.all(values), get: () => prepared.get(values), run: () => prepared.run(values) };
  }

  /** Reads go to the reader; anything that writes waits for its turn on the writer. */
  private async execute<T>(statement: Statement, params: Params | undefined, use: (prepared: ReturnType<SqliteDb['prepareOn']>) => T): Promise<T> {
    const text = compile(statement, 'sqlite').text;
    let writes = this.writes.get(text);
    if (writes === undefined) {
      writes = !this.writerStatements.get(text).readonly;
      this.writes.set(text, writes);
    }
    if (!writes) return retryWhileBusy(() => use(this.prepareOn(this.readerStatements, statement, params)));
    while (this.turn) await this.turn;
    return retryWhileBusy(() => use(this.prepareOn(this.writerStatements, statement, params)));
  }

  all<Row>(statement: Statement, params?: Params): Promise<Row[]> {
    return this.execute(statement, params, (prepared) => prepared.all() as Row[]);
  }

  get<Row>(statement: Statement, params?: Params): Promise<Row | undefined> {
    return this.execute(statement, params, (prepared) => prepared.get() as Row | undefined);
  }

  run(statement: Statement, params?: Params): Promise<number> {
    return this.execute(statement, params, (prepared) => prepared.run().changes);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    while (this.turn) await this.turn;
    let endTurn!: () => void;
    this.turn = new Promise((resolve) => (endTurn = resolve));
    try {
      await retryWhileBusy(() => this.begin.run());
      try {
        const result = await work(this.inTransaction);
        this.commit.run();
        return result;
      } catch (error) {
        if (this.writer.inTransaction) this.rollback.run();
        throw error;
      }
    } finally {
      this.turn = null;
      endTurn();
    }
  }

  async close(): Promise<void> {
    while (this.turn) await this.turn;
    if (this.reader !== this.writer) this.reader.close();
    this.writer.close();
  }
}
