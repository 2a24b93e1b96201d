import { closeSync, mkdirSync, openSync, readSync, realpathSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { cleanText, parseTags } from '../bookmarks/validation.js';
import type { SQL } from 'drizzle-orm';
import { bindParams, compile, DatabaseUnavailableError, sqlFor, type CompiledStatement, type Db, type Params, type Queryable, type Statement } from './database.js';

type Connection = Database.Database;
type Prepared = Database.Statement;

/** The reading connection's page cache, in KiB: SQLite's own default. */
export const READER_CACHE_KIB = 2_000;
/** How long a write waits, without blocking the event loop, for another process's write to finish. */
const BUSY_WAIT_MS = 10_000;
/** How long a write waits for this process's own transaction (a large import takes seconds). */
const WRITE_TURN_WAIT_MS = 30_000;

/**
 * The app's text rules as SQL functions, for the data migrations that restate
 * stored rows by them (drizzle/sqlite 0010 and 0022). Registered on the connection that
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
  // As validateTokenName does (drizzle/sqlite 0022), where nothing readable is left: a name it would take.
  connection.function('clean_token_name', { deterministic: true }, (name: unknown) => cleanText(String(name ?? '')) || 'Unnamed token');
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
  // SQLite's own busy wait would stop this process's event loop meanwhile.
  connection.pragma('busy_timeout = 0');
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection: the reader's filled it
  // under searches, 14 MB of every process's memory, for no measurable speed (docs/PERFORMANCE.md).
  // The file's pages stay in the system's cache anyway. The writer keeps it for large imports.
  if (readonly) connection.pragma(`cache_size = -${READER_CACHE_KIB}`);
  return connection;
}

const isBusy = (error: unknown): boolean => typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('SQLITE_BUSY');

async function retryWhileBusy<T>(work: () => T, waitMs = BUSY_WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
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

/*
 * The WAL index's header (sqlite.org/walformat.html, "The WAL-Index Header"): two copies of 48
 * bytes at the start of the -shm file, in the machine's byte order, which every commit by any
 * process rewrites (the log's last frame moves on, or its salts change when it starts over).
 */
const WAL_INDEX_HEADER_BYTES = 48;
const WAL_INDEX_FORMAT = 3007000;
const WAL_INDEX_IS_INIT_OFFSET = 12;
// The machine's byte order is asked once, not at every request's header read.
const readWalIndexFormat = endianness() === 'LE' ? (header: Buffer): number => header.readUInt32LE(0) : (header: Buffer): number => header.readUInt32BE(0);
/** Rows getUnlessChanged keeps between two commits: sessions signed in at once, with room to spare. */
const REMEMBERED_ROWS = 10_000;

/**
 * The -shm files read for their headers, by real path (SQLite names it after the file a symlink
 * leads to), with how many SqliteDb of this process are open on each: closing any descriptor of a
 * file drops every POSIX lock the process holds on it, SQLite's too, so it is closed only with the
 * last of them. Opened at the first header read (SQLite makes the file at the first read).
 */
const walIndexFiles = new Map<string, WalIndexFile>();

interface WalIndexFile {
  path: string;
  descriptor: number | null;
  users: number;
}

type Method = 'all' | 'get' | 'run';

/** A statement ready to run on this database: its compiled form, whether it writes, and its prepared copy per connection. */
interface Ready {
  compiled: CompiledStatement;
  writes: boolean;
  onReader?: Prepared;
  onWriter?: Prepared;
}

function call(prepared: Prepared, method: Method, values: unknown[]): unknown {
  if (method === 'all') return prepared.all(values);
  if (method === 'get') return prepared.get(values);
  return prepared.run(values).changes;
}

/** A read now, or, in the rare case the file is busy (WAL recovery), again without blocking the event loop. */
function readOrRetry(prepared: Prepared, method: Method, values: unknown[]): unknown {
  try {
    return call(prepared, method, values);
  } catch (error) {
    if (!isBusy(error)) throw error;
    return retryWhileBusy(() => call(prepared, method, values));
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
  /**
   * Statements by their SQL object (the app's are module constants), prepared once per
   * connection; they hold SQL, never data, so other processes' writes cannot make them
   * stale. Dynamic statements (multi-row inserts) are new objects, kept only while in use.
   */
  private readonly ready = new WeakMap<SQL, Ready>();
  /** Whether a transaction, a write, or a write waiting out another process's lock holds the writer. */
  private held = false;
  /** Writes and transactions waiting for the writer, served in the order they asked: none can be passed over for long. */
  private readonly waiting: (() => void)[] = [];
  /** Set by close(): writes asked for after it fail at once instead of waiting for a writer that is gone. */
  private closed: Promise<void> | null = null;
  private readonly inTransaction: Queryable;
  /** The -shm file, for the WAL index's header (walIndexFiles): null in memory, outside WAL mode, or once closed. */
  private walIndexFile: WalIndexFile | null = null;
  private readonly walIndexHeader = Buffer.alloc(2 * WAL_INDEX_HEADER_BYTES);
  private readonly begin: Prepared;
  private readonly commit: Prepared;
  private readonly rollback: Prepared;
  private readonly beginRead: Prepared | null;
  private readonly endRead: Prepared | null;
  /** A read transaction is open on the reader, for this request or this turn of the event loop. */
  private reading = false;
  /** The turn's end will end the read transaction open then, and the header's currency: one callback a turn, however many requests began one. */
  private endOfTurnScheduled = false;
  /** What getUnlessChanged read since the commit whose header is rememberedAt. */
  private remembered = new Map<string, Promise<unknown>>();
  private rememberedAt: string | null = null;
  /**
   * rememberedAt was read after the last request arrived (freshSnapshot), after this turn of the
   * event loop began and after this process's last commit: every caller until one of those comes
   * to pass would read the same header, so it is not read again.
   */
  private headerIsCurrent = false;
  /** The header read at the end of this turn's I/O, for every getUnlessChanged waiting for it (headerAfterArrivals). */
  private headerRead: Promise<string | null> | null = null;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    this.writer = openConnection(path, false);
    // Only in WAL mode is there a header to read (a file system without shared memory refuses it).
    if (path !== ':memory:' && this.writer.pragma('journal_mode', { simple: true }) === 'wal') {
      const shmPath = `${realpathSync(path)}-shm`;
      const file = walIndexFiles.get(shmPath) ?? { path: shmPath, descriptor: null, users: 0 };
      file.users++;
      walIndexFiles.set(shmPath, file);
      this.walIndexFile = file;
    }
    // An in-memory database exists only on the connection that made it.
    this.reader = path === ':memory:' ? this.writer : openConnection(path, true);
    // IMMEDIATE takes the write lock at once, so no other process can write in between and force a retry.
    this.begin = this.writer.prepare('BEGIN IMMEDIATE');
    this.commit = this.writer.prepare('COMMIT');
    this.rollback = this.writer.prepare('ROLLBACK');
    this.beginRead = this.reader === this.writer ? null : this.reader.prepare('BEGIN');
    this.endRead = this.reader === this.writer ? null : this.reader.prepare('COMMIT');
    const inTransaction = async (statement: Statement, params: Params | undefined, method: Method): Promise<unknown> => {
      const ready = this.readyFor(statement);
      return call((ready.onWriter ??= this.writer.prepare(ready.compiled.text)), method, bindParams(ready.compiled, params));
    };
    this.inTransaction = {
      engine: 'sqlite',
      all: (statement, params) => inTransaction(statement, params, 'all') as Promise<never>,
      get: (statement, params) => inTransaction(statement, params, 'get') as Promise<never>,
      run: (statement, params) => inTransaction(statement, params, 'run') as Promise<number>,
    };
  }

  private readyFor(statement: Statement): Ready {
    const query = sqlFor(statement, 'sqlite');
    let ready = this.ready.get(query);
    if (!ready) {
      const compiled = compile(query, 'sqlite');
      const onWriter = this.writer.prepare(compiled.text);
      ready = { compiled, writes: !onWriter.readonly, onWriter };
      this.ready.set(query, ready);
    }
    return ready;
  }

  /** Reads go to the reader; anything that writes waits for its turn on the writer. */
  private async execute(statement: Statement, params: Params | undefined, method: Method): Promise<unknown> {
    const ready = this.readyFor(statement);
    const values = bindParams(ready.compiled, params);
    if (!ready.writes) {
      const onReader = (ready.onReader ??= this.reader === this.writer ? ready.onWriter! : this.reader.prepare(ready.compiled.text));
      this.startReading();
      return readOrRetry(onReader, method, values);
    }
    await this.takeTurn();
    // A snapshot of this process's reader kept through the commit would keep its checkpoint from emptying the log.
    this.stopReading();
    const onWriter = (ready.onWriter ??= this.writer.prepare(ready.compiled.text));
    try {
      // Nearly always the write goes through at once.
      try {
        return call(onWriter, method, values);
      } catch (error) {
        if (!isBusy(error)) throw error;
      }
      // Another process holds the file's lock: the turn is kept while waiting, so that no
      // transaction of this process can begin on the writer and take this write in with its own.
      // Reads meanwhile may have begun a snapshot, which the commit's checkpoint could not pass.
      return await retryWhileBusy(() => {
        this.stopReading();
        return call(onWriter, method, values);
      });
    } finally {
      this.stopReading();
      this.passTurn();
    }
  }

  /**
   * Reads in one turn of the event loop share one read transaction: outside a transaction every
   * statement takes and drops the file's shared lock itself (two fcntl and an fstat, about 10 µs,
   * more than most of our statements cost). The turn's end ends it, and so does each request as it
   * arrives (freshSnapshot), so a request reads what was committed before it, by any process. A
   * write of this process ends it before it starts, so that the commit's checkpoint can empty the
   * log, and again after it commits, so that a read after a write sees it. (Kept past its turn
   * while nothing commits, a snapshot would leave no moment without a reader in the log under
   * load, and another process could never start the log over: it grew without end.)
   */
  private startReading(): void {
    if (this.reading || !this.beginRead) return;
    this.beginRead.run();
    this.reading = true;
    this.endTurnLater();
  }

  /** At the turn's end (setImmediate) the snapshot ends and the header must be read again. */
  private endTurnLater(): void {
    if (this.endOfTurnScheduled) return;
    this.endOfTurnScheduled = true;
    setImmediate(() => {
      this.endOfTurnScheduled = false;
      this.headerIsCurrent = false;
      this.stopReading();
    });
  }

  freshSnapshot(): void {
    this.headerIsCurrent = false;
    this.stopReading();
  }

  /**
   * The header of the last commit by any process, read without a transaction (one pread, where a
   * read transaction takes the file's shared lock). Null when there is no header to read yet, or a
   * commit is writing it (its two copies differ), or its layout is not the one documented: the
   * caller then reads as usual.
   */
  private lastCommitHeader(): string | null {
    const file = this.walIndexFile;
    if (file === null) return null;
    const header = this.walIndexHeader;
    try {
      file.descriptor ??= openSync(file.path, 'r');
      if (readSync(file.descriptor, header, 0, header.length, 0) < header.length) return null;
    } catch {
      return null;
    }
    if (header.compare(header, WAL_INDEX_HEADER_BYTES, 2 * WAL_INDEX_HEADER_BYTES, 0, WAL_INDEX_HEADER_BYTES) !== 0) return null;
    if (readWalIndexFormat(header) !== WAL_INDEX_FORMAT || header[WAL_INDEX_IS_INIT_OFFSET] !== 1) return null;
    return header.toString('latin1', 0, WAL_INDEX_HEADER_BYTES);
  }

  /**
   * The last commit's header, read once for all the requests that arrive in one turn of the event
   * loop: in the turn's check phase (setImmediate), after its I/O, so after every request of the
   * turn arrived and asked. Under load one read serves many requests, where a read at each ask
   * was one system call each (about 6 µs, a tenth of a signed-in request that does nothing).
   * The requests it served then go on together, so their reads share one snapshot: before, each
   * request ran to its answer in its own socket's callback, after its arrival had ended the
   * turn's snapshot, and began one of its own (docs/PERFORMANCE.md).
   */
  private headerAfterArrivals(): Promise<string | null> {
    this.headerRead ??= new Promise((resolve, reject) => {
      setImmediate(() => {
        this.headerRead = null;
        try {
          // A row kept for this header must be read in a snapshot begun after it: none open now is.
          this.stopReading();
          const header = this.lastCommitHeader();
          if (header !== null && header !== this.rememberedAt) {
            this.rememberedAt = header;
            this.remembered = new Map();
          }
          this.headerIsCurrent = header !== null;
          this.endTurnLater();
          resolve(header);
        } catch (error) {
          reject(error);
        }
      });
    });
    return this.headerRead;
  }

  async getUnlessChanged<Row>(key: string, statement: Statement, params?: Params): Promise<Row | undefined> {
    if (this.walIndexFile === null) return this.get(statement, params);
    if (!this.headerIsCurrent && (await this.headerAfterArrivals()) === null) return this.get(statement, params);
    // Read in a snapshot begun after this header was read, and no process has committed since: the
    // same row. Kept as the read itself, so the requests of one turn that ask alike share one read.
    const kept = this.remembered.get(key) as Promise<Row | undefined> | undefined;
    if (kept) return kept;
    // Any snapshot open now began after the header was read (headerAfterArrivals ended the one
    // before, and what makes the header stale ends the snapshots begun since), so it is as new.
    const read = this.get<Row>(statement, params);
    const rememberedHere = this.remembered;
    if (rememberedHere.size < REMEMBERED_ROWS) {
      rememberedHere.set(key, read);
      // A failed read is not kept: the next ask tries again.
      read.catch(() => rememberedHere.get(key) === read && rememberedHere.delete(key));
    }
    return read;
  }

  private stopReading(): void {
    if (!this.reading) return;
    this.reading = false;
    // Some errors (SQLITE_BUSY among them) roll a transaction back themselves.
    if (this.reader.inTransaction) this.endRead!.run();
  }

  /**
   * Takes the writer, waiting behind those who asked first; past WRITE_TURN_WAIT_MS the
   * database counts as unavailable (`deadline: false` waits as long as it takes).
   */
  private async takeTurn({ deadline = true } = {}): Promise<void> {
    if (this.closed) throw new Error('The database connection is closing');
    if (!this.held) {
      this.held = true;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const served = (): void => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      const timer = deadline
        ? setTimeout(() => {
            this.waiting.splice(this.waiting.indexOf(served), 1);
            reject(new DatabaseUnavailableError(new Error(`the writer was busy for ${WRITE_TURN_WAIT_MS / 1000} s`)));
          }, WRITE_TURN_WAIT_MS).unref()
        : null;
      this.waiting.push(served);
    });
  }

  /** Hands the writer to the next in line (it stays held), or frees it. */
  private passTurn(): void {
    // Every write and transaction ends here, committed or not: the next getUnlessChanged reads the header again.
    this.headerIsCurrent = false;
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }

  all<Row>(statement: Statement, params?: Params): Promise<Row[]> {
    return this.execute(statement, params, 'all') as Promise<Row[]>;
  }

  get<Row>(statement: Statement, params?: Params): Promise<Row | undefined> {
    return this.execute(statement, params, 'get') as Promise<Row | undefined>;
  }

  run(statement: Statement, params?: Params): Promise<number> {
    return this.execute(statement, params, 'run') as Promise<number>;
  }

  /** `beginWaitMs`: how long to wait for another process's lock before giving up (longer for migrations). */
  async transaction<T>(work: (tx: Queryable) => Promise<T>, { beginWaitMs = BUSY_WAIT_MS } = {}): Promise<T> {
    await this.takeTurn();
    this.stopReading();
    try {
      await retryWhileBusy(() => this.begin.run(), beginWaitMs);
      try {
        const result = await work(this.inTransaction);
        // Reads by other requests while the work awaited may have begun a snapshot: the commit's checkpoint could not pass it.
        this.stopReading();
        this.commit.run();
        return result;
      } catch (error) {
        if (this.writer.inTransaction) this.rollback.run();
        throw error;
      }
    } finally {
      this.stopReading();
      this.passTurn();
    }
  }

  /** After both connections have closed: see walIndexFiles. */
  private releaseWalIndexFile(): void {
    const file = this.walIndexFile;
    this.walIndexFile = null;
    if (file === null || --file.users > 0) return;
    walIndexFiles.delete(file.path);
    if (file.descriptor !== null) closeSync(file.descriptor);
  }

  close(): Promise<void> {
    // Last in line, with no deadline: shutdown lets every write and transaction already asked for finish.
    this.closed ??= this.takeTurn({ deadline: false }).then(() => {
      this.stopReading();
      if (this.reader !== this.writer) this.reader.close();
      this.writer.close();
      this.releaseWalIndexFile();
    });
    return this.closed;
  }
}
