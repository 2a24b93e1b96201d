import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { childProcesses, FORM, HTMX_HEADERS, prepareStack, signInOverHttp, startServer, type Stack } from '../../scripts/lib/production.js';
import { generateExport } from '../../bench/export-file.js';
import { WORKER_OLD_SPACE_MB } from '../../src/worker-heap.js';

/**
 * The real server process (src/server.ts with NODE_ENV=production) and SIGTERM:
 * it stops accepting, lets a request already in flight finish, closes the
 * database and exits 0. And the heap sizes its workers start with (src/worker-heap.ts).
 */
let stack: Stack;
let dir: string;

beforeAll(async () => {
  stack = await prepareStack();
  dir = mkdtempSync(join(tmpdir(), 'bookmarks-shutdown-'));
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('graceful shutdown on SIGTERM', () => {
  it('finishes a slow in-flight write, refuses new connections, closes the database and exits 0', async () => {
    const databasePath = join(dir, 'shutdown.db');
    const server = await startServer(stack, databasePath, {}, true);
    try {
      const cookie = await signInOverHttp(stack.baseUrl, 'shutdown-user');
      const body = new URLSearchParams({ url: 'https://slow.example/', title: 'Sent slowly', tags: 'slow' }).toString();
      const half = Math.floor(body.length / 2);

      // A client that sends half its body, then stalls: the request is in flight when SIGTERM arrives.
      const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${stack.baseUrl}/bookmarks`, {
          method: 'POST',
          headers: { cookie, ...HTMX_HEADERS, ...FORM, 'content-length': String(Buffer.byteLength(body)) },
        }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        });
        req.on('error', reject);
        req.write(body.slice(0, half));
        setTimeout(() => req.end(body.slice(half)), 1500);
      });
      await sleep(300);
      server.child.kill('SIGTERM');
      await sleep(300);

      await expect(fetch(`${stack.baseUrl}/healthz`)).rejects.toThrow();
      expect(server.child.exitCode).toBeNull();

      const response = await answered;
      expect(response.status).toBe(200);
      expect(response.body).toContain('Sent slowly');
      expect(await server.exited).toBe(0);

      // Closed cleanly: the last connection checkpointed and removed the WAL, and the write is there.
      expect(existsSync(`${databasePath}-wal`)).toBe(false);
      const db = new Database(databasePath, { readonly: true });
      expect(db.prepare('SELECT title FROM bookmarks WHERE url = ?').get('https://slow.example/')).toEqual({ title: 'Sent slowly' });
      db.close();
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  }, 60_000);

  it('cuts a client that stalls mid-request after SHUTDOWN_GRACE_SECONDS, then closes the database and exits 0', async () => {
    const databasePath = join(dir, 'stalled.db');
    const server = await startServer(stack, databasePath, { SHUTDOWN_GRACE_SECONDS: '1' }, true);
    try {
      const cookie = await signInOverHttp(stack.baseUrl, 'stalled-user');
      const req = request(`${stack.baseUrl}/bookmarks`, {
        method: 'POST',
        headers: { cookie, ...HTMX_HEADERS, ...FORM, 'content-length': '100' },
      });
      const cut = new Promise<void>((resolve) => req.on('error', () => resolve()).on('response', () => resolve()));
      req.write('url=https%3A%2F%2Fstalled.example%2F');
      await sleep(300);
      // The body never completes: exiting at all (within the test's timeout) means the grace period cut it.
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await cut;
      expect(existsSync(`${databasePath}-wal`)).toBe(false);
      const db = new Database(databasePath, { readonly: true });
      expect(db.prepare('SELECT count(*) AS n FROM bookmarks').get()).toEqual({ n: 0 });
      db.close();
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  }, 60_000);

  it('finishes an import being read in a worker thread, then closes (ending the thread) and exits 0', async () => {
    const databasePath = join(dir, 'import.db');
    const server = await startServer(stack, databasePath, { LOG_LEVEL: 'info' }, true);
    try {
      const cookie = await signInOverHttp(stack.baseUrl, 'import-user');
      const form = new FormData();
      form.append('file', new Blob([generateExport(5_000)], { type: 'text/html' }), 'bookmarks.html');
      const answered = fetch(`${stack.baseUrl}/import`, { method: 'POST', body: form, headers: { cookie, ...HTMX_HEADERS } }).then(async (r) => ({ status: r.status, body: await r.text() }));
      while (!server.log().includes('import: reading the file') && server.child.exitCode === null) await sleep(20);
      server.child.kill('SIGTERM');

      const response = await answered;
      expect(response.status).toBe(200);
      expect(response.body).toContain('imported');
      expect(server.log()).toContain('import: file read');
      expect(await server.exited).toBe(0);
      const db = new Database(databasePath, { readonly: true });
      expect((db.prepare('SELECT count(*) AS n FROM bookmarks').get() as { n: number }).n).toBeGreaterThan(4_000);
      db.close();
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  }, 60_000);

  it('exits 0 on SIGTERM when idle, even with an open keep-alive connection', async () => {
    const server = await startServer(stack, join(dir, 'idle.db'), {}, true);
    try {
      await fetch(`${stack.baseUrl}/healthz`, { headers: { connection: 'keep-alive' } }).then((r) => r.text());
      // The idle connection would otherwise hold the process for the keep-alive timeout, past this test's timeout.
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  }, 60_000);
});

/** The arguments each child of the process was started with (Linux's /proc). */
function childrenArguments(pid: number): string[][] {
  return childProcesses(pid).map((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean));
}

describe('the workers’ heap sizes', () => {
  it('starts each worker with the heap flags, keeping the primary’s own arguments and leaving what NODE_OPTIONS sets', async () => {
    const server = await startServer(stack, join(dir, 'heap.db'), { WEB_CONCURRENCY: '2', NODE_OPTIONS: '--max-semi-space-size=4' }, true);
    try {
      const workers = childrenArguments(server.child.pid!);
      expect(workers).toHaveLength(2);
      for (const args of workers) {
        expect(args).toEqual(expect.arrayContaining(['--import', 'tsx', `--max-old-space-size=${WORKER_OLD_SPACE_MB}`]));
        expect(args.filter((arg) => arg.includes('semi-space'))).toEqual([]);
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 60_000);
});
