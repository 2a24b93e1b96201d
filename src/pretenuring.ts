import { setFlagsFromString } from 'node:v8';

/** Passing V8's own flag to node keeps V8's default, so the two can always be compared. */
export const KEEP_V8_PRETENURING = '--allocation-site-pretenuring';

/**
 * V8 "pretenures" the objects made at one place in the code once most of them have outlived
 * a young-generation collection: it then makes them straight in the old generation. Under
 * load that goes wrong for this server. Each request's rows, cards and HTML, garbage a
 * millisecond after the answer, still survived the next young collection, kept alive for it
 * by pretenured objects that were garbage themselves; a full collection found none of them
 * reachable. Profiled on the search at 50 connections: about 30 kB promoted per request and
 * 3–4 ms per young collection with V8's default; without pretenuring, about 3 kB per
 * collection and under 1 ms. `npm run bench` measures both ways in every run
 * (bench/RESULTS.md: peak RSS about 255 → 170 MB, more answers a second, shorter tails).
 * Called before the app is built, so no request runs with V8's default.
 */
export function turnOffPretenuring(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.includes(KEEP_V8_PRETENURING)) return false;
  setFlagsFromString('--no-allocation-site-pretenuring');
  return true;
}
