import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cleanText, parseTags, validateBookmark } from '../../src/bookmarks/validation.js';
import { parseSearch } from '../../src/bookmarks/search.js';
import { searchBookmarks } from '../../src/bookmarks/search-queries.js';
import { openDb } from '../../src/db/client.js';
import { createBookmark } from '../../src/bookmarks/commands.js';
import { listTags } from '../../src/bookmarks/queries.js';
import { recountTags, setupBookmark } from '../helpers.js';
import { storedRowProblems, text } from './arbitraries.js';

/** The same rules without HTTP: whatever validateBookmark accepts can be stored, and no search text is an error. */
describe('input rules under generated input', () => {
  it('every value validateBookmark accepts obeys the stored-row rules', () => {
    const tags = fc.oneof(text, fc.array(text, { maxLength: 25 }).map((t) => t.join(',')));
    fc.assert(
      fc.property(fc.record({ url: fc.oneof(fc.webUrl(), text), title: text, tags }), (fields) => {
        const result = validateBookmark(fields);
        if (!result.ok) return;
        const row = { id: 1, owner_sub: 'a', url: result.value.url, title: result.value.title, tags: result.value.tags.join(' ') };
        expect(storedRowProblems(row)).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it('tags and titles, once stored, come back the same through the rules (what import and the migration rely on)', () => {
    const anyText = fc.oneof(text, fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
    fc.assert(
      fc.property(anyText, (raw) => {
        const tags = parseTags(raw);
        expect(parseTags(tags.join(' '))).toEqual(tags);
        expect(cleanText(cleanText(raw))).toBe(cleanText(raw));
      }),
      { numRuns: 5000 },
    );
  });

  it('any search text parses and runs against FTS without throwing', () => {
    const db = openDb(':memory:');
    setupBookmark(db, 'alice', { title: 'Drizzle docs', tags: ['orm'] });
    fc.assert(
      fc.property(text, (q) => {
        const page = searchBookmarks(db, 'alice', parseSearch(q));
        expect(page.total).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
    db.$client.close();
  });

  it('whatever validateBookmark accepts is stored through the real triggers, and the tag counts stay right', () => {
    const db = openDb(':memory:');
    const tags = fc.oneof(text, fc.array(text, { maxLength: 25 }).map((t) => t.join(',')));
    let stored = 0;
    fc.assert(
      fc.property(fc.record({ url: fc.webUrl(), title: text, tags }), (fields) => {
        const result = validateBookmark(fields);
        if (!result.ok) return;
        createBookmark(db, 'alice', result.value);
        stored++;
      }),
      { numRuns: 1500 },
    );
    expect(stored).toBeGreaterThan(100);
    expect(new Map(listTags(db, 'alice', 100_000).map(({ tag, count }) => [tag, count]))).toEqual(recountTags(db, 'alice'));
    db.$client.close();
  });
});
