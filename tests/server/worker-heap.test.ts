import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareStack, startServer, type Stack } from '../../scripts/lib/production.js';
import { WORKER_OLD_SPACE_MB } from '../../src/worker-heap.js';

/** The real server process (src/server.ts with NODE_ENV=production): the workers it forks get their heap sizes (src/worker-heap.ts). */
let stack: Stack;
let dir: string;

beforeAll(async () => {
  stack = await prepareStack();
  dir = mkdtempSync(join(tmpdir(), 'bookmarks-worker-heap-'));
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The arguments each child of the process was started with (Linux's /proc). */
function childrenArguments(pid: number): string[][] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.map((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean));
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
