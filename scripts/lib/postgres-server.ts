import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childProcesses, freePort } from './production.js';

/**
 * A throwaway PostgreSQL server for tests and benchmarks: a new cluster in a
 * temporary directory, listening on 127.0.0.1 only, deleted on stop. It uses
 * Debian's PostgreSQL (apt-get install postgresql); the server refuses to run as
 * root, so as root it runs as the `postgres` user the package creates.
 */
export interface PostgresServer {
  /** A superuser URL for the cluster's `postgres` database. */
  adminUrl: string;
  /** The same server, another database. */
  urlFor(database: string): string;
  port: number;
  /** Stops the server now (fast shutdown), as if it went away. */
  stop(): void;
  /** Starts it again on the same port with the same data. */
  start(): void;
  /**
   * Freezes the server and every process of it (SIGSTOP) with their connections left open, as a
   * network partition or a hung host looks to a client: nothing refuses, nothing answers.
   */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  /** Stops it and deletes its directory. */
  destroy(): void;
}

export const POSTGRES_INSTALL_HINT = 'sudo apt-get update && sudo apt-get install -y postgresql';

/** The newest installed server's binaries (Debian keeps them out of PATH), or null. */
export function postgresBinaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

const SUPERUSER = 'bookmarks';

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinaries();
  if (!bin) throw new Error(`PostgreSQL is not installed. Install it with: ${POSTGRES_INSTALL_HINT}`);
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'bookmarks-postgres-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (command: string, args: string[]): void => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args];
    const result = spawnSync(file, argv, { encoding: 'utf8', cwd: dir });
    if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
  const port = await freePort();
  // Durability off: the cluster is thrown away, and tests should not wait on fsync.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  const start = (): void => run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const stop = (): void => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  try {
    start();
  } catch (error) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  const urlFor = (database: string): string => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  let running = true;
  let paused = false;
  /** The postmaster (first line of postmaster.pid) and its children: the backends and background workers. */
  const serverProcesses = (): number[] => {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return [postmaster, ...childProcesses(postmaster)];
  };
  const signalAll = (signal: NodeJS.Signals): void => {
    for (const pid of serverProcesses()) process.kill(pid, signal);
    paused = signal === 'SIGSTOP';
  };
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    port,
    stop() {
      if (running) stop();
      running = false;
    },
    start() {
      if (!running) start();
      running = true;
    },
    pause() {
      signalAll('SIGSTOP');
    },
    resume() {
      if (paused) signalAll('SIGCONT');
    },
    destroy() {
      try {
        if (paused) signalAll('SIGCONT');
        if (running) stop();
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
