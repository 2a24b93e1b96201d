import { describe, expect, it } from 'vitest';
import { parseNetscape } from '../../src/transfer/netscape.js';
import { generateExport } from '../../bench/export-file.js';
import { HOSTILE_FILES } from './hostile-files.js';

/**
 * Growth, not speed: the time for a file four times as large, against the time for the
 * file itself, in CPU time. Linear parsing gives about 4, quadratic about 16; the bound of 8 sits
 * between them, with room for a shared, noisy machine. The smaller file is the first
 * size (doubling from 4 KB, up to 1 MB) whose parse takes some 20 ms, so timer noise is
 * small; the two sizes are timed in turns, seven times, and each keeps its best run.
 */
const BOUND = 8;
const START_MS = 20;
const LARGEST_START = 1024 * 1024;

/** CPU time in ms, which other processes on a busy machine do not stretch as they do the clock. */
function time(text: string): number {
  const started = process.cpuUsage();
  parseNetscape(text);
  const { user, system } = process.cpuUsage(started);
  return (user + system) / 1000;
}

function growth(file: (n: number) => string): { n: number; small: number; large: number } {
  let n = 4096;
  // Twice each: the first runs of a new shape include compiling the parser's paths.
  while (n < LARGEST_START && Math.min(time(file(n)), time(file(n))) < START_MS) n *= 2;
  const small = file(n);
  const large = file(4 * n);
  let best = { small: Infinity, large: Infinity };
  for (let run = 0; run < 7; run++) {
    best = { small: Math.min(best.small, time(small)), large: Math.min(best.large, time(large)) };
  }
  return { n, ...best };
}

const SHAPES: [string, (n: number) => string][] = [
  ...Object.entries(HOSTILE_FILES),
  // A browser's export, about 490 bytes an entry: the common case must stay linear too.
  ['a normal export', (n) => generateExport(Math.ceil(n / 490))],
];

describe('parseNetscape grows linearly with the file', () => {
  it.each([...SHAPES])('%s: a file 4 times as large takes less than 8 times as long', (_name, file) => {
    const { n, small, large } = growth(file);
    const ratio = large / small;
    expect(ratio, `${n} characters: ${small.toFixed(1)} ms; ${4 * n}: ${large.toFixed(1)} ms`).toBeLessThan(BOUND);
  }, 60_000);
});
