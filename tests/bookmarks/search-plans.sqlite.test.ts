import { describe, expect, it } from 'vitest';
import { toFtsMatch } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';

/* The SQLite plans' own parts: the FTS5 MATCH expression they build from the search terms. */

describe('toFtsMatch', () => {
  it('quotes every token in the FTS expression', () => {
    const match = toFtsMatch('alice', parseSearch('a"b OR'));
    expect(match).toContain('"a"*');
    expect(match).toContain('"b"*');
    expect(match).toContain('"or"*');
  });
});
