import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KEEP_PRETENURING_FLAG, turnOffPretenuring } from '../src/pretenuring.js';

// What the setting does to the heap shows under load: `npm run bench` measures SQLite with one
// worker both ways in every run (bench/RESULTS.md). These tests cover the switch itself.
describe('turnOffPretenuring', () => {
  const setFlagsCalls = (execArgv: string[]): string[] => {
    const calls: string[] = [];
    turnOffPretenuring(execArgv, (flags) => calls.push(flags));
    return calls;
  };

  it('turns V8’s pretenuring off for a node started without V8’s flag', () => {
    expect(setFlagsCalls(['--enable-source-maps'])).toEqual(['--no-allocation-site-pretenuring']);
  });

  it('leaves V8’s default to a node started with its flag, however V8 lets it be spelled', () => {
    for (const spelling of [KEEP_PRETENURING_FLAG, '--allocation_site_pretenuring', '--allocation-site-pretenuring=true']) {
      expect(setFlagsCalls(['--enable-source-maps', spelling])).toEqual([]);
    }
  });

  it('names flags this node’s V8 knows: V8 refuses to start with one it does not', () => {
    for (const flag of ['--no-allocation-site-pretenuring', KEEP_PRETENURING_FLAG]) {
      const run = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8' });
      expect({ flag, status: run.status, stderr: run.stderr }).toEqual({ flag, status: 0, stderr: '' });
    }
    const unknown = spawnSync(process.execPath, ['--no-such-v8-flag-at-all', '-e', '0'], { encoding: 'utf8' });
    expect(unknown.status).not.toBe(0);
  });
});
