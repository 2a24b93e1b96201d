import { describe, expect, it } from 'vitest';
import { KEEP_V8_PRETENURING, turnOffPretenuring } from '../src/pretenuring.js';

// What the setting does to the heap is measured where it shows, under load: `npm run bench`
// runs SQLite with one worker both ways and writes the comparison into bench/RESULTS.md.
describe('turnOffPretenuring', () => {
  it('turns V8’s pretenuring off for a node started without V8’s flag', () => {
    expect(turnOffPretenuring(['--enable-source-maps'])).toBe(true);
  });

  it('leaves V8’s default to a node started with its flag, so the two can be compared', () => {
    expect(turnOffPretenuring(['--enable-source-maps', KEEP_V8_PRETENURING])).toBe(false);
  });
});
