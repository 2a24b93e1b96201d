import { setFlagsFromString } from 'node:v8';

/** V8's flag that keeps its default: `node --allocation-site-pretenuring scripts/start.mjs`. */
export const KEEP_PRETENURING_FLAG = '--allocation-site-pretenuring';
const NO_PRETENURING_FLAG = '--no-allocation-site-pretenuring';

/** V8 spells its flags with dashes or underscores, and a boolean one may say `=true`. */
function asksForPretenuring(argument: string): boolean {
  return argument.replaceAll('_', '-').replace(/=true$/, '') === KEEP_PRETENURING_FLAG;
}

/**
 * Under load, V8's pretenuring filled the old generation with each request's garbage
 * (docs/PERFORMANCE.md: why, and what it costs). Turned off unless node was started with
 * V8's own flag, which node's workers (node:cluster) inherit.
 */
export function turnOffPretenuring(execArgv: readonly string[] = process.execArgv, setFlags: (flags: string) => void = setFlagsFromString): void {
  if (!execArgv.some(asksForPretenuring)) setFlags(NO_PRETENURING_FLAG);
}
