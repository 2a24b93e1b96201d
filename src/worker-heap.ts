import { getHeapStatistics } from 'node:v8';

/*
 * V8's heap sizes for the workers that serve (node:cluster forks them with these flags).
 * A worker keeps about 26 MB alive between requests, yet on a large machine V8 lets its young
 * generation grow to 32 MB and its old one to up to four times what outlived the last full
 * collection: V8 takes its limits from the machine's memory (old generation half of it, at
 * most 4 GB; young generation a 128th of that, at most 16 MB per semi-space), and the factor
 * it lets the old generation grow by rises with that limit. Workers peaked at 180–213 MB
 * under the benchmark's load. Sized as V8 sizes a machine with 2 GB of memory, they peaked at
 * 150–164 MB on SQLite and 143 MB on PostgreSQL, for 0–7 % of search throughput (docs/PERFORMANCE.md).
 */

/** Each of the young generation's two halves, in MB (V8's default on machines of 4 GB and more: 16). */
export const WORKER_SEMI_SPACE_MB = 8;
/** The old generation's limit, in MB: V8 then lets it grow to at most 1.6 times what survived a full collection, not 4. */
export const WORKER_OLD_SPACE_MB = 1024;
/** What V8 reports as its heap limit with both: the old generation and three semi-spaces. */
export const WORKER_HEAP_LIMIT_MB = WORKER_OLD_SPACE_MB + 3 * WORKER_SEMI_SPACE_MB;

/** Node takes V8's flags with one dash or two, spelled with dashes or underscores, and NODE_OPTIONS may quote them. */
const flagName = (argument: string): string =>
  argument.replace(/^"?-{1,2}/, '').replace(/"$/, '').split('=')[0]!.replaceAll('_', '-');

/**
 * The flags a worker is started with on top of the primary's own. None where V8 already sizes
 * this machine's heap as small or smaller (under 2 GB of memory), so no size is ever raised;
 * and none for a size the operator set (in node's arguments, or in NODE_OPTIONS, which workers
 * inherit and which our flag, coming later, would override).
 */
export function workerHeapFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  heapLimitMb: number = getHeapStatistics().heap_size_limit / 2 ** 20,
): string[] {
  if (heapLimitMb <= WORKER_HEAP_LIMIT_MB) return [];
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((argument) => /^"?-/.test(argument)).map(flagName));
  const flags: string[] = [];
  if (!given.has('max-semi-space-size')) flags.push(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  if (!given.has('max-old-space-size') && !given.has('max-heap-size')) flags.push(`--max-old-space-size=${WORKER_OLD_SPACE_MB}`);
  return flags;
}
