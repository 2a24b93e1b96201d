import { describe, expect, it } from 'vitest';
import { insertBookmarkRows, type BookmarkRowValues } from '../../src/bookmarks/commands.js';
import { sql } from 'drizzle-orm';
import { ownerLexeme, postgresSearchStatements, searchBookmarks, type BookmarkPage, type Cursor } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { ownerVersion } from '../../src/bookmarks/queries.js';
import { bindParams, compile, type Db } from '../../src/db/database.js';
import type { PostgresDb } from '../../src/db/postgres.js';
import { freshDatabaseEachTest, recordingReads, type RecordedRead } from '../helpers.js';

let db: Db;
freshDatabaseEachTest((opened) => (db = opened));

/** The statements that read rows, of those recordingReads saw. */
const rowStatements = (reads: RecordedRead[]): unknown[] => reads.filter((read) => read.method === 'all').map((read) => read.statement);

async function store(owner: string, count: number, title: (i: number) => string, tags: (i: number) => string[] = () => []): Promise<void> {
  const rows: BookmarkRowValues[] = Array.from({ length: count }, (_, i) => ({
    ownerSub: owner,
    title: title(i),
    url: `https://${owner}.example/${i}`,
    tags: tags(i),
    createdAt: new Date(1_000_000 + i * 1000),
  }));
  await db.transaction((tx) => insertBookmarkRows(tx, rows));
}

/**
 * A search whose word PostgreSQL's parser drops, its tsquery then empty: parseSearch keeps no such
 * word it knows of (①, a number that is no digit, is none since), so it is written out here.
 */
const withDroppedWord = (text: string) => ({ ...parseSearch(text), words: ['①'] });

const titles = async (page: Promise<{ items: { title: string }[]; total: number }>) => {
  const { items, total } = await page;
  return { titles: items.map((item) => item.title), total };
};

/**
 * Which statement reads a PostgreSQL search's few matches. The first time a search is
 * asked its count and first page are read together (countAndPage); once its total is
 * remembered, a page is read through the words alone when few of anyone's bookmarks match
 * them, through the owner's lexeme when others' matches are many (or there is no word to
 * collect by). All must give alice her own bookmarks only; tests/bookmarks/search-plans.test.ts
 * checks the pages and totals of every plan on both engines.
 */
describe('PostgreSQL: the plan for few of the owner’s matches', () => {
  it('reads a word few of anyone’s bookmarks match through the words alone, and only the owner’s', async () => {
    await store('alice', 5, (i) => `Zeppelin ${i}`, (i) => (i % 2 === 0 ? ['even'] : []));
    await store('bob', 5, (i) => `Zeppelin of bob ${i}`, () => ['even']);
    const { db: recorded, reads } = recordingReads(db);

    for (let asked = 0; asked < 3; asked++) {
      expect(await titles(searchBookmarks(recorded, 'alice', parseSearch('zepp')))).toEqual({
        titles: ['Zeppelin 4', 'Zeppelin 3', 'Zeppelin 2', 'Zeppelin 1', 'Zeppelin 0'],
        total: 5,
      });
      expect(await titles(searchBookmarks(recorded, 'alice', parseSearch('zeppelin #even')))).toEqual({ titles: ['Zeppelin 4', 'Zeppelin 2', 'Zeppelin 0'], total: 3 });
    }
    const { untagged, tagged } = postgresSearchStatements;
    expect(rowStatements(reads)).toEqual([untagged.countAndPage, tagged.countAndPage, ...Array(2).fill([untagged.fewMatchingByWords, tagged.fewMatchingByWords]).flat()]);
    // Anyone's matches are counted once per search, by its first repeat.
    expect(reads.filter((read) => read.statement === untagged.anyoneMatching || read.statement === tagged.anyoneMatching)).toHaveLength(2);
  });

  it('reads a word few of the owner’s but many of others’ match through the owner’s lexeme', async () => {
    await store('alice', 5, (i) => `Zeppelin ${i}`);
    await store('bob', 400, (i) => `Zeppelin of bob ${i}`);
    const { db: recorded, reads } = recordingReads(db);

    for (let asked = 0; asked < 2; asked++) {
      expect(await titles(searchBookmarks(recorded, 'alice', parseSearch('zepp')))).toEqual({
        titles: ['Zeppelin 4', 'Zeppelin 3', 'Zeppelin 2', 'Zeppelin 1', 'Zeppelin 0'],
        total: 5,
      });
    }
    expect(rowStatements(reads)).toEqual([postgresSearchStatements.untagged.countAndPage, postgresSearchStatements.untagged.fewMatching]);
  });

  it('reads a search of exclusions alone through the owner’s lexeme', async () => {
    await store('alice', 5, (i) => (i === 0 ? 'Airship' : `Zeppelin ${i}`));
    await store('bob', 5, (i) => `Airship of bob ${i}`);
    const { db: recorded, reads } = recordingReads(db);

    for (let asked = 0; asked < 2; asked++) {
      expect(await titles(searchBookmarks(recorded, 'alice', parseSearch('-zeppelin')))).toEqual({ titles: ['Airship'], total: 1 });
    }
    expect(rowStatements(reads)).toEqual([postgresSearchStatements.untagged.countAndPage, postgresSearchStatements.untagged.fewMatching]);
  });

  it('gives all of the owner’s on every page for a search whose words PostgreSQL drops, past the few that are collected', async () => {
    await store('alice', 350, (i) => `Note ${i}`);
    await store('bob', 5, (i) => `Note of bob ${i}`);
    const alices = (await db.all<{ id: number }>(sql`SELECT id FROM bookmarks WHERE owner_sub = 'alice' ORDER BY created_at DESC, id DESC`)).map((row) => row.id);
    // Asked twice: first counted with its page, then with its total remembered, when pages are walked by date.
    for (let asked = 0; asked < 2; asked++) {
      const ids: number[] = [];
      let after: Cursor | null = null;
      do {
        const page: BookmarkPage = await searchBookmarks(db, 'alice', withDroppedWord(''), after, 100);
        expect(page.total).toBe(350);
        ids.push(...page.items.map((item) => item.id));
        after = page.next;
      } while (after);
      expect(ids).toEqual(alices);
    }
  });

  it('reads a page of few matches through the owner’s lexeme when anyone’s count fails, and asks that count again next time', async () => {
    await store('alice', 5, (i) => `Zeppelin ${i}`);
    let failures = 1;
    const { db: recorded, reads } = recordingReads(db);
    const failing: Db = Object.create(recorded);
    failing.get = async (statement, params) => {
      if (statement === postgresSearchStatements.untagged.anyoneMatching && failures-- > 0) throw new Error('anyone’s count failed');
      return recorded.get(statement, params);
    };
    for (let asked = 0; asked < 3; asked++) expect((await titles(searchBookmarks(failing, 'alice', parseSearch('zepp')))).total).toBe(5);
    const { countAndPage, anyoneMatching, fewMatching, fewMatchingByWords } = postgresSearchStatements.untagged;
    expect(rowStatements(reads)).toEqual([countAndPage, fewMatching, fewMatchingByWords]);
    expect(reads.filter((read) => read.statement === anyoneMatching)).toHaveLength(1);
  });

  it('reads a search whose words PostgreSQL drops (as "①") through the owner’s lexeme, as before: all of the owner’s', async () => {
    await store('alice', 3, (i) => `Note ${i}`);
    await store('bob', 3, (i) => `Note of bob ${i}`);
    const { db: recorded, reads } = recordingReads(db);

    for (const text of ['', '-zzz', '', '-zzz']) {
      expect(await titles(searchBookmarks(recorded, 'alice', withDroppedWord(text)))).toEqual({ titles: ['Note 2', 'Note 1', 'Note 0'], total: 3 });
    }
    const { countAndPage, fewMatching } = postgresSearchStatements.untagged;
    expect(rowStatements(reads)).toEqual([countAndPage, countAndPage, fewMatching, fewMatching]);
  });
});

describe('PostgreSQL: a single tag’s total', () => {
  it('is read once per data version of the owner’s, and a write of theirs is counted at once', async () => {
    await store('alice', 3, (i) => `Note ${i}`, () => ['even']);
    await store('bob', 2, (i) => `Note of bob ${i}`, () => ['even']);
    const { db: recorded, reads } = recordingReads(db);
    const search = async () =>
      (await searchBookmarks(recorded, 'alice', parseSearch('#even'), null, 2, { ownerVersion: await ownerVersion(db, 'alice') })).total;

    expect([await search(), await search(), await search()]).toEqual([3, 3, 3]);
    // The rows of each page are read each time; the count (a single row) once.
    expect(reads.filter((read) => read.method === 'get')).toHaveLength(1);
    await store('alice', 1, () => 'Another note', () => ['even']);
    expect(await search()).toBe(4);
    await store('bob', 1, () => 'Bob’s note', () => ['even']);
    expect(await search()).toBe(4);
    expect(reads.filter((read) => read.method === 'get')).toHaveLength(2);

    // Where the request has not read the owner's version, the count is asked each time rather than the version and then the count.
    reads.length = 0;
    for (let asked = 0; asked < 2; asked++) expect((await searchBookmarks(recorded, 'alice', parseSearch('#even'))).total).toBe(4);
    expect(reads.filter((read) => read.method === 'get')).toHaveLength(2);
  });
});

describe('PostgreSQL: the statements as prepared', () => {
  /** A value as an SQL literal, for EXECUTE: the statements take text, numbers, NULL and text arrays. */
  const literal = (value: unknown, escape: (text: string) => string): string => {
    if (value === null) return 'NULL';
    if (typeof value === 'number') return String(value);
    if (Array.isArray(value)) return `ARRAY[${value.map((item) => escape(String(item))).join(', ')}]::text[]`;
    return escape(String(value));
  };

  /** The conditions and outputs of every node in a plan that reads rows of a table, an index or a CTE (the tsquery's InitPlan is a Result, no scan). */
  function scanExpressions(plan: Record<string, unknown>): string[] {
    const children = (plan.Plans ?? []) as Record<string, unknown>[];
    const own = String(plan['Node Type']).includes('Scan')
      ? ['Filter', 'Index Cond', 'Recheck Cond', 'Output'].flatMap((field) => [plan[field] ?? []].flat().map(String))
      : [];
    return [...own, ...children.flatMap(scanExpressions)];
  }

  it('builds a search’s tsquery once per statement, not once for every row it checks, in the generic plans that prepared statements settle on', async () => {
    await store('alice', 5, (i) => `Zeppelin ${i}`, () => ['even']);
    const params = {
      owner: 'alice',
      ownerLexeme: ownerLexeme('alice'),
      tsquery: "'zepp':*",
      tags: ['even'],
      excludedTags: [],
      beforeCreatedAt: Number.MAX_SAFE_INTEGER,
      beforeId: Number.MAX_SAFE_INTEGER,
      limit: 26,
      countLimit: 1001,
    };
    const client = await (db as PostgresDb).pool.connect();
    try {
      await client.query('SET plan_cache_mode = force_generic_plan');
      const checked: string[] = [];
      for (const [kind, statements] of Object.entries({ untagged: postgresSearchStatements.untagged, tagged: postgresSearchStatements.tagged })) {
        for (const [name, statement] of Object.entries(statements)) {
          const compiled = compile(statement, 'postgres');
          if (!compiled.text.includes('to_tsquery')) continue;
          const values = bindParams(compiled, params).map((value) => literal(value, (text) => client.escapeLiteral(text)));
          await client.query(`PREPARE checked AS ${compiled.text}`);
          const [{ 'QUERY PLAN': [{ Plan: plan }] }] = (await client.query(`EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE checked(${values.join(', ')})`)).rows;
          await client.query('DEALLOCATE checked');
          const expressions = scanExpressions(plan);
          expect(expressions.filter((expression) => expression.includes('to_tsquery')), `${kind}.${name}`).toEqual([]);
          // Each reads the index or checks rows by the tsquery somewhere: a plan whose scans were all missed would pass the line above.
          expect(expressions.some((expression) => expression.includes('search_vector @@')), `${kind}.${name}`).toBe(true);
          checked.push(`${kind}.${name}`);
        }
      }
      const plans = ['manyMatching', 'fewMatching', 'fewMatchingByWords', 'countAndPage', 'anyoneMatching'];
      expect(checked.sort()).toEqual(['tagged', 'untagged'].flatMap((kind) => plans.map((plan) => `${kind}.${plan}`)).sort());
    } finally {
      await client.query('RESET plan_cache_mode');
      client.release();
    }
  });
});
