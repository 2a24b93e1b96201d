import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cleanText, parseTags, validateBookmark } from '../../src/bookmarks/validation.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import type { Db } from '../../src/db/database.js';
import { createBookmark } from '../../src/bookmarks/commands.js';
import { listTags } from '../../src/bookmarks/queries.js';
import { freshDatabaseEachTest, recountTags, setupBookmark } from '../helpers.js';
import { storedRowProblems, text } from './arbitraries.js';

/** The same rules without HTTP: whatever validateBookmark accepts can be stored, and no search text is an error. */
describe('input rules under generated input', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  it('every value validateBookmark accepts obeys the stored-row rules', () => {
    const tags = fc.oneof(text, fc.array(text, { maxLength: 25 }).map((t) => t.join(',')));
    fc.assert(
      fc.property(fc.record({ url: fc.oneof(fc.webUrl(), text), title: text, description: text, tags }), (fields) => {
        const result = validateBookmark(fields);
        if (!result.ok) return;
        const row = { id: 1, owner_sub: 'a', url: result.value.url, title: result.value.title, description: result.value.description, tags: result.value.tags.join(' ') };
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

  it('any search text parses and runs against the search index without throwing', async () => {
    await setupBookmark(db, 'alice', { title: 'Drizzle docs', tags: ['orm'] });
    await fc.assert(
      fc.asyncProperty(text, async (q) => {
        const page = await searchBookmarks(db, 'alice', parseSearch(q));
        expect(page.total).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('whatever validateBookmark accepts is stored through the real triggers, and the tag counts stay right', async () => {
    const tags = fc.oneof(text, fc.array(text, { maxLength: 25 }).map((t) => t.join(',')));
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(fc.record({ url: fc.webUrl(), title: text, tags }), async (fields) => {
        const result = validateBookmark(fields);
        if (!result.ok) return;
        await createBookmark(db, 'alice', result.value);
        stored++;
      }),
      { numRuns: 1500 },
    );
    expect(stored).toBeGreaterThan(100);
    expect(new Map((await listTags(db, 'alice', 100_000)).map(({ tag, count }) => [tag, count]))).toEqual(await recountTags(db, 'alice'));
  });
});
