import { createHash } from 'node:crypto';
import pg from 'pg';
import { bindParams, compile, DatabaseUnavailableError, type Db, type Params, type Queryable, type Statement } from './database.js';

/** Connections per process: searches are short, and several app processes share the server's max_connections. */
const POOL_SIZE = 10;
const CONNECT_TIMEOUT_MS = 5_000;
const LOCK_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 30_000;
/**
 * How long the app waits for any answer: statement_timeout is the server's, so a server that stops
 * answering with its connections open (a partition, a hung host, a failover that leaves them
 * dangling) never sends it, and a request waited for ever on its pooled connection. Past every
 * timeout the server enforces itself, so a statement that is merely slow still gets its answer.
 */
const ANSWER_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;
/** What node-postgres rejects with when an answer took longer than query_timeout. */
const NO_ANSWER = /^Query read timeout$/;
/** A statement with ANSWER_TIMEOUT_MS (node-postgres reads query_timeout per statement too; its types name it only for a pool). */
const answeredIn = (config: pg.QueryConfig): pg.QueryConfig => Object.assign(config, { query_timeout: ANSWER_TIMEOUT_MS });

// bigint (ids, counts, millisecond times) as numbers: every value the app stores is far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * Errors that mean the server is gone, refusing connections or too busy now, rather than a bad
 * statement: a lock waited for longer than lock_timeout (55P03: an owner's long import holds
 * their writes' lock, or a migration a table) is a 503 to try again, as SQLite's busy writer is,
 * and so is a statement cancelled after statement_timeout (57014): no statement of the app's
 * takes 30 s on a server with time for it.
 */
function isUnavailable(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^(08|57P)/.test(code) || ['55P03', '57014', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code))) return true;
  // "timeout exceeded when trying to connect": every pooled connection stayed busy for CONNECT_TIMEOUT_MS.
  return typeof message === 'string' && (NO_ANSWER.test(message) || /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message));
}

/** A statement that got no answer in ANSWER_TIMEOUT_MS, as node-postgres reports it or as query() wrapped it. */
function wentUnanswered(error: unknown): boolean {
  const cause = error instanceof DatabaseUnavailableError ? error.cause : error;
  return cause instanceof Error && NO_ANSWER.test(cause.message);
}

function unavailableOr(error: unknown): unknown {
  return isUnavailable(error) ? new DatabaseUnavailableError(error) : error;
}

/** Statement names for the server's per-connection prepared-statement cache: one per text. */
const names = new Map<string, string>();
function nameFor(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `s${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

type Client = pg.Pool | pg.PoolClient;

async function query(client: Client, statement: Statement, params: Params | undefined): Promise<pg.QueryResult> {
  const compiled = compile(statement, 'postgres');
  try {
    return await client.query(answeredIn({ name: nameFor(compiled.text), text: compiled.text, values: bindParams(compiled, params) }));
  } catch (error) {
    throw unavailableOr(error);
  }
}

function queryable(client: Client): Queryable {
  return {
    engine: 'postgres',
    all: async <Row>(statement: Statement, params?: Params) => (await query(client, statement, params)).rows as Row[],
    get: async <Row>(statement: Statement, params?: Params) => (await query(client, statement, params)).rows[0] as Row | undefined,
    run: async (statement: Statement, params?: Params) => (await query(client, statement, params)).rowCount ?? 0,
  };
}

/** PostgreSQL through a node-postgres pool; a lost server surfaces as DatabaseUnavailableError and the pool reconnects when it is back. */
export class PostgresDb implements Db {
  readonly engine = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly direct: Queryable;

  constructor(connectionString: string, onIdleError: (error: Error) => void = () => {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: POOL_SIZE,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // A request never hangs on a lock (a migration rewriting a table during a rolling deploy) or a runaway statement.
      lock_timeout: LOCK_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      types,
    });
    // An idle connection dropped by the server must not crash the process: the pool replaces it.
    this.pool.on('error', onIdleError);
    this.direct = queryable(this.pool);
  }

  all<Row>(statement: Statement, params?: Params): Promise<Row[]> {
    return this.direct.all<Row>(statement, params);
  }

  get<Row>(statement: Statement, params?: Params): Promise<Row | undefined> {
    return this.direct.get<Row>(statement, params);
  }

  run(statement: Statement, params?: Params): Promise<number> {
    return this.direct.run(statement, params);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailableOr(error);
    }
    // A checked-out client that loses its server emits 'error' with the pool no longer listening:
    // unheard, that would crash the process. Heard, the next query on it fails and rolls back.
    let broken = false;
    const lost = (): void => {
      broken = true;
    };
    client.on('error', lost);
    try {
      // Written for READ COMMITTED, PostgreSQL's default, whatever the server's default_transaction_isolation:
      // under a stricter one, waiting for an owner's lock (src/bookmarks/commands.ts) would end in a serialization failure.
      await client.query(answeredIn({ text: 'BEGIN ISOLATION LEVEL READ COMMITTED' }));
      const result = await work(queryable(client));
      await client.query(answeredIn({ text: 'COMMIT' }));
      return result;
    } catch (error) {
      // A connection that did not answer still has that statement in flight: a ROLLBACK would queue
      // behind it for ever. Thrown away instead, it ends the transaction at the server.
      if (wentUnanswered(error)) broken = true;
      else {
        try {
          await client.query(answeredIn({ text: 'ROLLBACK' }));
        } catch {
          broken = true;
        }
      }
      throw unavailableOr(error);
    } finally {
      client.off('error', lost);
      // A connection that could not roll back, or that was lost, is thrown away rather than reused.
      client.release(broken);
    }
  }

  /** Nothing to do: each statement reads the latest commits (READ COMMITTED). */
  freshSnapshot(): void {}

  getUnlessChanged<Row>(_key: string, statement: Statement, params?: Params): Promise<Row | undefined> {
    return this.get(statement, params);
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
