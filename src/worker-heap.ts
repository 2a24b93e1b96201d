import { getHeapStatistics } from 'node:v8';

/*
 * V8's heap sizes for the workers that serve (node:cluster forks them with these flags).
 * A worker keeps about 26 MB alive between requests, yet on a large machine V8 lets its young
 * generation grow to 32 MB and its old one to up to four times what outlived the last full
 * collection: the factor V8 allows grows with the heap limit, which it takes from the machine's
 * memory (4 GB on this 24 GB one). Workers peaked at 195–213 MB under the benchmark's load.
 * Sized as below, as V8 sizes the old generation on a machine with 4 GB of memory, they peaked
 * at 150–164 MB on SQLite and 143 MB on PostgreSQL, for 0–7 % of search throughput
 * (README, Benchmark).
 */

/** Each of the young generation's two halves, in MB (V8's default on 64-bit machines: 16). */
export const WORKER_SEMI_SPACE_MB = 8;
/** The old generation's limit, in MB: V8 then lets it grow to at most 1.6 times what survived a full collection, not 4. */
export const WORKER_OLD_SPACE_MB = 1024;

/** V8 spells its flags with dashes or underscores; the name is what comes before any `=`. */
const flagName = (argument: string): string => argument.replace(/^--/, '').split('=')[0]!.replaceAll('_', '-');

/**
 * The flags a worker is started with on top of the primary's own: none that the operator
 * set already (in node's arguments or NODE_OPTIONS, which workers inherit), and never an old
 * generation limit above the one V8 chose for this machine (a small one gets less than 1 GB).
 */
export function workerHeapFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  heapLimitMb: number = getHeapStatistics().heap_size_limit / 2 ** 20,
): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((argument) => argument.startsWith('--')).map(flagName));
  const flags: string[] = [];
  if (!given.has('max-semi-space-size')) flags.push(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  if (!given.has('max-old-space-size') && !given.has('max-heap-size') && heapLimitMb > WORKER_OLD_SPACE_MB) flags.push(`--max-old-space-size=${WORKER_OLD_SPACE_MB}`);
  return flags;
}
