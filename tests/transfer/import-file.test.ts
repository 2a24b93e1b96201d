import { describe, expect, it, vi } from 'vitest';
import { importBookmarks, type ImportCandidate } from '../../src/bookmarks/commands.js';
import { openTestDb, ownedBookmarks } from '../helpers.js';
import { readImportFile, toImportCandidates, TooMuchTextError } from '../../src/transfer/import-file.js';
import { nameToTag, type NetscapeEntry } from '../../src/transfer/netscape.js';

/** What the import route built from the entries before the conversion moved into the worker. */
const uncut = (entries: NetscapeEntry[]): ImportCandidate[] =>
  entries.map((entry) => ({
    url: entry.url,
    title: entry.title,
    tags: [...entry.folders, ...entry.tags].map(nameToTag).filter((tag): tag is string => tag !== null),
    createdAt: entry.addDate,
  }));

const storedFrom = async (candidates: ImportCandidate[]) => {
  const db = await openTestDb();
  try {
    const report = await importBookmarks(db, 'alice', candidates, new Date(1_700_000_000_000));
    return { report, rows: (await ownedBookmarks(db, 'alice')).map(({ id: _id, ...row }) => row) };
  } finally {
    await db.close();
  }
};

const entry = (fields: Partial<NetscapeEntry>): NetscapeEntry => ({ url: 'https://a.example/', title: 'A', folders: [], tags: [], addDate: null, description: '', ...fields });

describe('toImportCandidates', () => {
  it('cuts tags and titles to what importBookmarks keeps, so the stored rows are the same', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `Tag ${i % 25}`);
    const entries = [
      entry({ url: 'https://tags.example/', folders: ['Work', 'work', '#Work', 'x'.repeat(60)], tags: ['#Menu', 'MENU', 'menu, more', ...many] }),
      entry({ url: 'https://title.example/', title: `${'é'.repeat(499)}😀${'z'.repeat(5000)}` }),
      entry({ url: 'https://emoji.example/', title: '😀'.repeat(3000) }),
      entry({ url: 'https://space.example/', title: `${'a'.repeat(499)} ${'b'.repeat(3000)}` }),
      entry({ url: 'javascript:void(0)' }),
      entry({ url: 'https://tags.example' }),
    ];
    const candidates = toImportCandidates(entries);
    expect(candidates.every((c) => c.tags.length <= 20 && c.title.length <= 2000)).toBe(true);
    expect(await storedFrom(candidates)).toEqual(await storedFrom(uncut(entries)));
  });

  it('reads bytes as UTF-8, folders first, then TAGS', () => {
    const html = '<DL><DT><H3>Recettes</H3><DL><DT><A HREF="https://a.example/" TAGS="Crème,brûlée" ADD_DATE="1700000000">Tarte</A></DL></DL>';
    expect(readImportFile(new TextEncoder().encode(html))).toEqual([
      { url: 'https://a.example/', title: 'Tarte', description: '', tags: ['recettes', 'crème', 'brûlée'], createdAt: new Date(1_700_000_000_000) },
    ]);
  });
});

describe('toImportCandidates: what a file of many bookmarks under long folder names costs', () => {
  const folders = Array.from({ length: 20 }, (_, i) => `${String.fromCharCode(97 + i).repeat(49)}${i % 10}`);
  // Each folder's name is a tag of every link under it: 1,000 characters of tags per link.
  const underFolders = (count: number, ownTag = false) =>
    Array.from({ length: count }, (_, i) => entry({ url: `https://a.example/${i}`, title: 'x', folders: folders.slice(0, ownTag ? 19 : 20), tags: ownTag ? [`own${i}`] : [] }));
  const textOf = (candidates: ImportCandidate[]) => candidates.reduce((sum, c) => sum + c.url.length + c.title.length, 0);

  it('gives entries with the same tags one list, which the message to the app and importBookmarks carry and keep once', async () => {
    const candidates = toImportCandidates(underFolders(3));
    expect(candidates[0]!.tags).toHaveLength(20);
    expect(candidates[1]!.tags).toBe(candidates[0]!.tags);
    expect(candidates[2]!.tags).toBe(candidates[0]!.tags);
    // As the worker's message delivers them: one list still, and the same rows stored as from three.
    const delivered = structuredClone(candidates);
    expect(delivered[2]!.tags).toBe(delivered[0]!.tags);
    expect((await storedFrom(delivered)).rows.map((row) => row.tags)).toEqual(Array.from({ length: 3 }, () => candidates[0]!.tags));
  });

  it('counts each different list of tags once against the text a file may hold, and refuses a file over it', () => {
    const shared = underFolders(1_000);
    const sharedText = textOf(toImportCandidates(shared)) + folders.map(nameToTag).join(' ').length;
    expect(toImportCandidates(shared, sharedText)).toHaveLength(1_000);
    expect(() => toImportCandidates(shared, sharedText - 1)).toThrow(TooMuchTextError);
    // A tag of each link's own makes every list different: each counts, about a thousand characters a link.
    const own = underFolders(1_000, true);
    const candidates = toImportCandidates(own);
    const ownText = textOf(candidates) + candidates.reduce((sum, c) => sum + c.tags.join(' ').length, 0);
    expect(ownText).toBeGreaterThan(30 * sharedText);
    expect(toImportCandidates(own, ownText)).toHaveLength(1_000);
    expect(() => toImportCandidates(own, ownText - 1)).toThrow(TooMuchTextError);
  });
});

describe('readImportFile: a folder with a very long name', () => {
  // Over LIMITS.tagLength, so never a tag: only what reading it costs is left to see.
  const longName = 'Long name '.repeat(10_000);
  const links = (count: number, host: string, tags = (_i: number) => '') =>
    Array.from({ length: count }, (_, i) => `<DT><A HREF="https://${host}.example/${i}"${tags(i)}>Link ${i}</A>`).join('');
  // 100 KB of name above 1,000 links with tags of their own and 500 sub-folders of one link each.
  const file =
    `<DL><p><DT><H3>${longName}</H3><DL><p>` +
    `<DT><H3>Reading</H3><DL><p>${links(1_000, 'read', (i) => ` TAGS="own${i}"`)}</DL><p>` +
    Array.from({ length: 500 }, (_, i) => `<DT><H3>Sub ${i}</H3><DL><p>${links(1, `sub${i}`)}</DL><p>`).join('') +
    '</DL><p></DL><p>';

  /** Characters brought to NFKC, which every character of a candidate tag goes through (foldTagText) once each time it is read. */
  function charactersFolded<T>(work: () => T): { result: T; characters: number } {
    const normalize = vi.spyOn(String.prototype, 'normalize');
    try {
      const result = work();
      return { result, characters: normalize.mock.contexts.reduce((sum: number, text) => sum + String(text).length, 0) };
    } finally {
      normalize.mockRestore();
    }
  }

  it('reads its name once, not once per bookmark or sub-folder under it, and tags every bookmark as a short name would', () => {
    const { result: candidates, characters } = charactersFolded(() => readImportFile(new TextEncoder().encode(file)));
    expect(candidates).toHaveLength(1_500);
    expect(candidates.slice(0, 1_000).map((c) => c.tags)).toEqual(Array.from({ length: 1_000 }, (_, i) => ['reading', `own${i}`]));
    expect(candidates.slice(1_000).map((c) => c.tags)).toEqual(Array.from({ length: 500 }, (_, i) => [`sub-${i}`]));
    // Read once per bookmark, the name alone would be 150 million characters.
    expect(characters).toBeLessThan(4 * file.length);
  });
});

/** What `work` gave back, and how many turns of the event loop others had while it ran. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let working = true;
  const count = (): void => {
    turns++;
    if (working) setImmediate(count);
  };
  setImmediate(count);
  try {
    return { result: await work(), turns };
  } finally {
    working = false;
  }
}

describe('importBookmarks and everyone else', () => {
  it('gives the event loop back at least once per 1,000 bookmarks it checks, reads or stores, and finds the library’s duplicates across its batches', async () => {
    const db = await openTestDb();
    try {
      const page = (i: number) => ({ url: `https://library.example/${String(i).padStart(5, '0')}`, title: `Page ${i}`, tags: [], createdAt: null });
      await importBookmarks(db, 'alice', Array.from({ length: 12_000 }, (_, i) => page(i)));
      // 6,000 new pages and 2,000 of the library's, one spelt differently (the same page all the same).
      const file = [...Array.from({ length: 6_000 }, (_, i) => page(20_000 + i)), ...Array.from({ length: 2_000 }, (_, i) => page(i * 6))];
      file.push({ ...page(11_999), url: 'HTTPS://LIBRARY.EXAMPLE/11999' });
      const { result: report, turns } = await turnsDuring(() => importBookmarks(db, 'alice', file));
      expect(report).toMatchObject({ imported: 6_000, duplicates: 2_001 });
      // Checked: 8,001 candidates; read: 12,000 addresses; stored: 6,000 rows.
      expect(turns).toBeGreaterThanOrEqual(Math.floor((8_001 + 12_000 + 6_000) / 1_000));
      expect(await ownedBookmarks(db, 'alice')).toHaveLength(18_000);
    } finally {
      await db.close();
    }
  });

  it('gives it back sooner when each bookmark holds much more text: twenty long tags of its own', async () => {
    const db = await openTestDb();
    try {
      const longTags = (i: number) => Array.from({ length: 20 }, (_, t) => `${String.fromCharCode(97 + t).repeat(44)}${String(i).padStart(6, '0')}`);
      const file = Array.from({ length: 1_000 }, (_, i) => ({ url: `https://long.example/${i}`, title: `Page ${i}`, tags: longTags(i), createdAt: null }));
      const { result: report, turns } = await turnsDuring(() => importBookmarks(db, 'alice', file));
      expect(report).toMatchObject({ imported: 1_000 });
      // About 1,050 characters a bookmark: checked 100,000 at a time (10 turns), stored 40,000 a statement and three statements a turn (8).
      expect(turns).toBeGreaterThanOrEqual(18);
      const stored = await ownedBookmarks(db, 'alice');
      expect(stored).toHaveLength(1_000);
      expect(stored.find((row) => row.url === 'https://long.example/7')!.tags).toEqual(longTags(7));
    } finally {
      await db.close();
    }
  });
});
