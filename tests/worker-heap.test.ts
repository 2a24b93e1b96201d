import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WORKER_HEAP_LIMIT_MB, WORKER_OLD_SPACE_MB, WORKER_SEMI_SPACE_MB, workerHeapFlags } from '../src/worker-heap.js';

// What the sizes do to a worker's memory and throughput shows under load: `npm run bench`
// (bench/RESULTS.md, docs/PERFORMANCE.md). These tests cover which flags a worker gets, and
// tests/server/shutdown.test.ts that the real server’s workers get them.
describe('workerHeapFlags', () => {
  const LARGE_MACHINE_LIMIT_MB = 4144;
  const semiSpace = `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`;
  const oldSpace = `--max-old-space-size=${WORKER_OLD_SPACE_MB}`;

  it('sizes both generations when the operator set neither', () => {
    expect(workerHeapFlags(['--enable-source-maps'], '', LARGE_MACHINE_LIMIT_MB)).toEqual([semiSpace, oldSpace]);
  });

  it('leaves a size the operator set in node’s arguments, however V8 lets it be spelled', () => {
    expect(workerHeapFlags(['--max-semi-space-size=32'], '', LARGE_MACHINE_LIMIT_MB)).toEqual([oldSpace]);
    expect(workerHeapFlags(['--max_old_space_size=4096'], '', LARGE_MACHINE_LIMIT_MB)).toEqual([semiSpace]);
    expect(workerHeapFlags(['--max-heap-size=2048'], '', LARGE_MACHINE_LIMIT_MB)).toEqual([semiSpace]);
  });

  it('leaves a size given with one dash, which node takes too', () => {
    expect(workerHeapFlags(['-max-old-space-size=512'], '', LARGE_MACHINE_LIMIT_MB)).toEqual([semiSpace]);
  });

  it('leaves a size set in NODE_OPTIONS, which workers inherit and which our flag would override, quoted or not', () => {
    expect(workerHeapFlags([], '--enable-source-maps  --max-old-space-size=3000 --max_semi_space_size=2', LARGE_MACHINE_LIMIT_MB)).toEqual([]);
    expect(workerHeapFlags([], '"--max-old-space-size=512" "--max-semi-space-size=2"', LARGE_MACHINE_LIMIT_MB)).toEqual([]);
  });

  it('sizes nothing where V8 already sizes the heap as small or smaller (machines under 2 GB), so no size is raised', () => {
    // What V8 reports on a 1 GB machine: a 512 MB old generation and 4 MB semi-spaces.
    expect(workerHeapFlags([], '', 512 + 3 * 4)).toEqual([]);
    // A 2 GB machine: exactly these sizes.
    expect(workerHeapFlags([], '', WORKER_HEAP_LIMIT_MB)).toEqual([]);
    expect(workerHeapFlags([], '', WORKER_HEAP_LIMIT_MB + 48)).toEqual([semiSpace, oldSpace]);
  });

  it('names flags this node’s V8 knows and obeys: the heap limit is the old generation plus three semi-spaces', () => {
    const run = spawnSync(process.execPath, [semiSpace, oldSpace, '-p', 'require("node:v8").getHeapStatistics().heap_size_limit / 2 ** 20'], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr, limitMb: Number(run.stdout.trim()) }).toEqual({
      status: 0,
      stderr: '',
      limitMb: WORKER_HEAP_LIMIT_MB,
    });
  });
});
