import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { keptTagCounts, recountTags, setupBookmark, signIn, useSignedInApp } from '../helpers.js';
import { createToken } from '../../src/tokens/tokens.js';
import { largeImport, MARKER, request, storedRowProblems, type Credentials, type Identity } from './arbitraries.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

/**
 * Property-based fuzzing of the whole HTML app through app.inject: random
 * methods, paths, query strings, headers, cookies and bodies, anonymous and
 * signed in. Bounded so it fits in `npm test`; FUZZ_SCALE multiplies it.
 */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const RUNS = { anonymous: Math.round(800 * SCALE), signedIn: Math.round(2200 * SCALE), largeImports: Math.round(30 * SCALE) };

// One app for the whole run; within each test, state built by earlier requests meets later ones.
const ctx = useSignedInApp({
  rateLimits: { authPerIp: 1e9, writesPerUser: 1e9, apiPerToken: 1e9, apiFailedAuthPerIp: 1e9, windowMs: 60_000 },
  // Generated files are at most a few hundred KB: a linear parser reads each in milliseconds.
  importBudget: { timeMs: 5_000 },
});
let credentials: Credentials;
let watchdog: Watchdog;
let tried = 0;
let writesAccepted = 0;
let storedAtEnd = 0;
const statuses = new Map<number, number>();

beforeAll(() => {
  watchdog = startWatchdog();
});
// After the data is emptied for the test: fresh tokens and a few bookmarks to find, edit and delete.
beforeEach(async () => {
  credentials = {
    alice: ctx.cookies.alice!,
    bob: ctx.cookies.bob!,
    tokens: { alice: (await createToken(ctx.app.db, 'alice', 'fuzz')).secret, bob: (await createToken(ctx.app.db, 'bob', 'fuzz')).secret },
  };
  for (let i = 0; i < 20; i++) {
    await setupBookmark(ctx.app.db, i % 2 ? 'bob' : 'alice', { url: `https://seed.example/${i}`, title: `Seed ${i}`, tags: ['seed', `n${i}`] });
  }
});
afterAll(async () => {
  console.log(`fuzz: ${tried} generated requests, ${writesAccepted} writes accepted; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; ${storedAtEnd} bookmarks stored at the end of the last run`);
  await watchdog?.stop();
});

function problemsWith(options: InjectOptions, response: LightMyRequestResponse): string[] {
  const problems: string[] = [];
  if (response.statusCode >= 500) problems.push(`status ${response.statusCode}`);
  const type = String(response.headers['content-type'] ?? '');
  const isOurStatic = /^\/(static|vendor)\//.test(options.url as string) && response.statusCode === 200;
  if (!isOurStatic && (type === '' || type.includes('html')) && MARKER.test(response.body)) {
    problems.push(`unescaped markup echoed: …${response.body.slice(Math.max(0, response.body.search(MARKER) - 80), response.body.search(MARKER) + 40)}…`);
  }
  if ((options.url as string).startsWith('/import') && /than this app allows/.test(response.body)) {
    problems.push('an import file went over its time or memory budget: reading it is no longer linear');
  }
  // The API answers JSON only, its errors as problem+json, and never touches the session cookie.
  if ((options.url as string).startsWith('/api/v1/') && options.method !== 'HEAD' && response.statusCode !== 204) {
    const expected = response.statusCode >= 400 ? 'application/problem+json' : 'application/json';
    if (!type.startsWith(expected)) problems.push(`API answered ${response.statusCode} as ${type || 'nothing'}`);
    if (response.headers['set-cookie'] !== undefined) problems.push('API set a cookie');
  }
  return problems;
}

async function checkStoredRows(): Promise<number> {
  const rows = await ctx.app.db.all<Parameters<typeof storedRowProblems>[0]>(sql`SELECT id, owner_sub, url, title, tags, description FROM bookmarks`);
  const bad = rows.map((row) => ({ row, problems: storedRowProblems(row) })).filter((r) => r.problems.length > 0);
  expect(bad.map(({ row, problems }) => `${row.id}: ${problems.join(', ')}: ${JSON.stringify(row).slice(0, 300)}`)).toEqual([]);
  expect(new Set(rows.map((row) => row.owner_sub))).toEqual(new Set(['alice', 'bob']));
  // The tag list's counts, kept by triggers, match the tags really stored.
  for (const owner of ['alice', 'bob']) expect(await keptTagCounts(ctx.app.db, owner), owner).toEqual(await recountTags(ctx.app.db, owner));
  expect(await ctx.app.db.all(sql`SELECT DISTINCT owner_sub FROM tag_counts WHERE owner_sub NOT IN (${'alice'}, ${'bob'})`)).toEqual([]);
  storedAtEnd = rows.length;
  return rows.length;
}

async function expectHealthy(): Promise<void> {
  const health = await ctx.app.inject({ method: 'GET', url: '/healthz' });
  expect(health.statusCode).toBe(200);
  expect(health.body).toBe('ok');
  // SQLite checks its own file; PostgreSQL has no such statement built in.
  if (ctx.app.db.engine === 'sqlite') expect(await ctx.app.db.get(sql`PRAGMA integrity_check`)).toEqual({ integrity_check: 'ok' });
}

function describeRequest(options: InjectOptions): string {
  const shown = { ...options, payload: typeof options.payload === 'string' ? options.payload.slice(0, 500) : options.payload };
  return JSON.stringify(shown).slice(0, 1500);
}

function property(who: fc.Arbitrary<Identity>) {
  return fc.asyncProperty(who.chain((identity) => request(identity, credentials)), async (options) => {
    tried++;
    watchdog.begin(describeRequest(options));
    const response = await ctx.app.inject(options);
    watchdog.end();
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    if (options.method !== 'GET' && options.method !== 'HEAD' && options.method !== 'OPTIONS' && response.statusCode < 400) writesAccepted++;
    // Signing out ends the session for good (its id is listed as ended): sign in again so later runs stay signed in.
    if ((options.url as string).startsWith('/auth/logout') && response.statusCode < 400) {
      for (const who of ['alice', 'bob'] as const) {
        if (String(options.headers?.cookie ?? '').includes(credentials[who])) credentials[who] = ctx.cookies[who] = await signIn(ctx.app, who);
      }
    }
    const problems = problemsWith(options, response);
    if (problems.length > 0) throw new Error(`${problems.join('; ')}\nrequest: ${describeRequest(options)}`);
  });
}

describe('fuzzed requests', () => {
  it('anonymous: no 5xx, no unescaped markup, still healthy', async () => {
    await fc.assert(property(fc.constant('anonymous')), { numRuns: RUNS.anonymous });
    await expectHealthy();
    await checkStoredRows();
  }, 120_000);

  it('signed in as alice or bob (and with broken cookies): no 5xx, no unescaped markup, every stored row obeys the input rules', async () => {
    await fc.assert(property(fc.constantFrom<Identity>('alice', 'bob')), { numRuns: RUNS.signedIn });
    await expectHealthy();
    await checkStoredRows();
  }, 180_000);

  it('large imports shaped to be slow to parse: each is read within its budget, no 5xx', async () => {
    const run = fc.asyncProperty(largeImport(credentials.alice), async (options) => {
      tried++;
      watchdog.begin(describeRequest(options));
      const response = await ctx.app.inject(options);
      watchdog.end();
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      expect(response.statusCode === 200 || response.statusCode === 422, `status ${response.statusCode}`).toBe(true);
      const problems = problemsWith(options, response);
      if (problems.length > 0) throw new Error(`${problems.join('; ')}\nrequest: ${describeRequest(options)}`);
    });
    // A failure is reported as found: shrinking would parse the slow files again, many times.
    await fc.assert(run, { numRuns: RUNS.largeImports, endOnFailure: true });
    await expectHealthy();
    await checkStoredRows();
  }, 180_000);
});
