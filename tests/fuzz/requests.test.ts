import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { LocalProvider } from '../../src/dev/oidc-provider.js';
import { buildTestApp, setupBookmark, signIn, startTestProvider } from '../helpers.js';
import { MARKER, request, storedRowProblems, type Cookies, type Identity } from './arbitraries.js';

/**
 * Property-based fuzzing of the whole HTML app through app.inject: random
 * methods, paths, query strings, headers, cookies and bodies, anonymous and
 * signed in. Bounded so it fits in `npm test`; FUZZ_SCALE multiplies it.
 */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const RUNS = { anonymous: Math.round(800 * SCALE), signedIn: Math.round(2200 * SCALE) };

let provider: LocalProvider;
let app: FastifyInstance;
let cookies: Cookies;
let tried = 0;
const statuses = new Map<number, number>();

beforeAll(async () => {
  provider = await startTestProvider();
  // One app for the whole run, so state built by earlier requests meets later ones.
  app = await buildTestApp(provider, { rateLimits: { authPerIp: 1e9, writesPerUser: 1e9, windowMs: 60_000 } });
  cookies = { alice: await signIn(app, 'alice'), bob: await signIn(app, 'bob') };
  for (let i = 0; i < 20; i++) {
    setupBookmark(app.db, i % 2 ? 'bob' : 'alice', { url: `https://seed.example/${i}`, title: `Seed ${i}`, tags: ['seed', `n${i}`] });
  }
});
afterAll(async () => {
  const rows = (app.db.$client.prepare('SELECT count(*) AS n FROM bookmarks').get() as { n: number }).n;
  console.log(`fuzz: ${tried} generated requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; ${rows} bookmarks stored`);
  await app.close();
  await provider.close();
});

function problemsWith(options: InjectOptions, response: LightMyRequestResponse): string[] {
  const problems: string[] = [];
  if (response.statusCode >= 500) problems.push(`status ${response.statusCode}`);
  const type = String(response.headers['content-type'] ?? '');
  const isOurStatic = /^\/(static|vendor)\//.test(options.url as string) && response.statusCode === 200;
  if (!isOurStatic && (type === '' || type.includes('html')) && MARKER.test(response.body)) {
    problems.push(`unescaped markup echoed: …${response.body.slice(Math.max(0, response.body.search(MARKER) - 80), response.body.search(MARKER) + 40)}…`);
  }
  return problems;
}

async function checkStoredRows(): Promise<void> {
  const rows = app.db.$client.prepare('SELECT id, owner_sub, url, title, tags FROM bookmarks').all() as Parameters<typeof storedRowProblems>[0][];
  const bad = rows.map((row) => ({ row, problems: storedRowProblems(row) })).filter((r) => r.problems.length > 0);
  expect(bad.map(({ row, problems }) => `${row.id}: ${problems.join(', ')}: ${JSON.stringify(row).slice(0, 300)}`)).toEqual([]);
  expect(new Set(rows.map((row) => row.owner_sub))).toEqual(new Set(['alice', 'bob']));
}

async function expectHealthy(): Promise<void> {
  const health = await app.inject({ method: 'GET', url: '/healthz' });
  expect(health.statusCode).toBe(200);
  expect(health.body).toBe('ok');
  const integrity = app.db.$client.pragma('integrity_check', { simple: true });
  expect(integrity).toBe('ok');
}

function property(who: fc.Arbitrary<Identity>) {
  return fc.asyncProperty(who.chain((identity) => request(identity, cookies)), async (options) => {
    tried++;
    const response = await app.inject(options);
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    const problems = problemsWith(options, response);
    if (problems.length > 0) {
      const shown = { ...options, payload: typeof options.payload === 'string' ? options.payload.slice(0, 500) : options.payload };
      throw new Error(`${problems.join('; ')}\nrequest: ${JSON.stringify(shown).slice(0, 1500)}`);
    }
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
});
