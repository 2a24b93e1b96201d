import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildProduction, cardIds, FORM, HTMX_HEADERS, parseExport, prepareStack, signInOverHttp, startServer } from './lib/production.js';

/**
 * Load without loss: the production build under mixed add/search/edit/delete
 * from several signed-in users (one keep-alive connection per worker), then every acknowledged write is checked
 * against each user's export and the database file. Exits 1 on any loss,
 * any crossing between users or any unexpected status.
 *
 *   SOAK_SECONDS (60) SOAK_CONNECTIONS (50) SOAK_USERS (20)
 */
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 50);
const USERS = Number(process.env.SOAK_USERS ?? 20);

interface Tracked {
  url: string;
  id: number;
  title: string;
  /** 'present' and 'deleted' are acknowledged; 'unknown' after a failed request (the write may or may not have landed). */
  state: 'present' | 'deleted' | 'unknown';
}

const latencies: number[] = [];
const statuses = new Map<string, number>();
const failures: string[] = [];
const acknowledged = { adds: 0, edits: 0, deletes: 0 };
let rateLimited = 0;

function fail(message: string): void {
  if (failures.length < 50) failures.push(message);
}

async function timed(url: string, init: RequestInit, label: string): Promise<Response | null> {
  const started = performance.now();
  try {
    const response = await fetch(url, init);
    await response.arrayBuffer().then((b) => ((response as Response & { text_?: string }).text_ = Buffer.from(b).toString('utf8')));
    latencies.push(performance.now() - started);
    const key = `${label} ${response.status}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    return response;
  } catch (error) {
    fail(`${label}: ${(error as Error).message}`);
    return null;
  }
}
const bodyOf = (response: Response): string => (response as Response & { text_?: string }).text_ ?? '';

async function main(): Promise<void> {
  console.log(`soak: building, then ${SECONDS} s with ${CONNECTIONS} connections for ${USERS} users`);
  buildProduction();
  const dir = mkdtempSync(join(tmpdir(), 'bookmarks-soak-'));
  const databasePath = join(dir, 'soak.db');
  const stack = await prepareStack();
  const server = await startServer(stack, databasePath);
  const base = stack.baseUrl;
  try {
    const users = await Promise.all(Array.from({ length: USERS }, async (_, u) => ({ name: `soak-user-${u}`, cookie: await signInOverHttp(base, `soak-user-${u}`) })));
    const tracked: Tracked[][] = Array.from({ length: CONNECTIONS }, () => []);
    const deadline = Date.now() + SECONDS * 1000;
    const started = performance.now();

    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, w) => {
        const user = w % USERS;
        const { cookie } = users[user]!;
        const mine = tracked[w]!;
        let counter = 0;
        let writesAllowedAt = 0;
        const headers = { cookie, ...HTMX_HEADERS };
        const limited = (response: Response): boolean => {
          if (response.status !== 429) return false;
          rateLimited++;
          const retryAfter = Number(response.headers.get('retry-after'));
          if (!(retryAfter > 0)) fail('429 without Retry-After');
          writesAllowedAt = Date.now() + retryAfter * 1000;
          return true;
        };
        while (Date.now() < deadline) {
          const live = mine.filter((t) => t.state === 'present');
          const roll = Math.random();
          const canWrite = Date.now() >= writesAllowedAt;
          if (!canWrite || roll < 0.35) {
            const q = Math.random() < 0.5 ? `w${w}` : ['soak', '#t1', 'title -x', '"w1 item"'][counter % 4]!;
            const response = await timed(`${base}/bookmarks/search?q=${encodeURIComponent(q)}`, { headers: { ...headers, 'hx-trigger': 'search-input' } }, 'search');
            if (response && response.status !== 200) fail(`search answered ${response.status}`);
            for (const [url] of response ? cardIds(bodyOf(response)) : []) {
              if (!url.includes(`/u${user}/`)) fail(`user ${user} saw ${url}`);
            }
          } else if (roll < 0.7 || live.length === 0) {
            const n = counter++;
            const url = `https://soak.example/u${user}/w${w}/${n}`;
            const title = `w${w} item ${n}`;
            const response = await timed(`${base}/bookmarks`, {
              method: 'POST', headers: { ...headers, ...FORM },
              body: new URLSearchParams({ url, title, tags: `soak, t${n % 5}`, q: `w${w}/${n}` }),
            }, 'add');
            if (!response) { mine.push({ url, id: 0, title, state: 'unknown' }); continue; }
            if (limited(response)) continue;
            if (response.status !== 200) { fail(`add answered ${response.status}`); continue; }
            const id = cardIds(bodyOf(response)).get(url);
            if (!id) { fail(`add of ${url} acknowledged without its card`); mine.push({ url, id: 0, title, state: 'unknown' }); continue; }
            mine.push({ url, id, title, state: 'present' });
            acknowledged.adds++;
          } else if (roll < 0.85) {
            const target = live[Math.floor(Math.random() * live.length)]!;
            const title = `${target.title.split(' edited')[0]} edited ${counter++}`;
            const response = await timed(`${base}/bookmarks/${target.id}`, {
              method: 'PUT', headers: { ...headers, ...FORM },
              body: new URLSearchParams({ url: target.url, title, tags: 'soak edited' }),
            }, 'edit');
            if (!response) { target.state = 'unknown'; continue; }
            if (limited(response)) continue;
            if (response.status !== 200) { fail(`edit answered ${response.status}`); continue; }
            target.title = title;
            acknowledged.edits++;
          } else if (roll < 0.96) {
            const target = live[Math.floor(Math.random() * live.length)]!;
            const response = await timed(`${base}/bookmarks/${target.id}`, { method: 'DELETE', headers }, 'delete');
            if (!response) { target.state = 'unknown'; continue; }
            if (limited(response)) continue;
            if (response.status !== 200) { fail(`delete answered ${response.status}`); continue; }
            target.state = 'deleted';
            acknowledged.deletes++;
          } else {
            // Expected refusals: a duplicate add (409), a second delete (404), another user's bookmark (404).
            const deleted = mine.find((t) => t.state === 'deleted');
            const other = tracked[(w + 1) % CONNECTIONS]!.find((t) => t.state === 'present');
            const kind = counter++ % 3;
            if (kind === 0 && live.length > 0) {
              const response = await timed(`${base}/bookmarks`, { method: 'POST', headers: { ...headers, ...FORM }, body: new URLSearchParams({ url: live[0]!.url, title: 'dup', tags: '' }) }, 'duplicate');
              if (response && !limited(response) && response.status !== 409) fail(`duplicate add answered ${response.status}`);
            } else if (kind === 1 && deleted) {
              const response = await timed(`${base}/bookmarks/${deleted.id}`, { method: 'DELETE', headers }, 'delete-again');
              if (response && !limited(response) && response.status !== 404) fail(`second delete answered ${response.status}`);
            } else if (other && (w + 1) % USERS !== user) {
              const response = await timed(`${base}/bookmarks/${other.id}`, { method: 'PUT', headers: { ...headers, ...FORM }, body: new URLSearchParams({ url: 'https://evil.example/', title: 'x', tags: '' }) }, 'cross-user');
              if (response && !limited(response) && response.status !== 404) fail(`editing another user's bookmark answered ${response.status}`);
            }
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;

    // Verify: each user's export holds exactly the acknowledged-present bookmarks, with their last acknowledged title.
    let checked = 0;
    for (let u = 0; u < USERS; u++) {
      const exported = await fetch(`${base}/export`, { headers: { cookie: users[u]!.cookie } });
      const entries = new Map(parseExport(await exported.text()).map((e) => [e.url, e.title]));
      const expected = tracked.filter((_, w) => w % USERS === u).flat();
      const uncertain = new Set(expected.filter((t) => t.state === 'unknown').map((t) => t.url));
      for (const t of expected) {
        if (t.state === 'unknown') continue;
        checked++;
        const title = entries.get(t.url);
        if (t.state === 'present' && title === undefined) fail(`lost: acknowledged add ${t.url}`);
        if (t.state === 'present' && title !== undefined && title !== t.title) fail(`lost edit: ${t.url} is "${title}", expected "${t.title}"`);
        if (t.state === 'deleted' && title !== undefined) fail(`acknowledged delete came back: ${t.url}`);
      }
      const known = new Set(expected.map((t) => t.url));
      for (const url of entries.keys()) {
        if (!url.includes(`/u${u}/`)) fail(`crossed users: ${url} in user ${u}'s export`);
        else if (!known.has(url) && !uncertain.has(url)) fail(`stored without acknowledgement: ${url}`);
      }
    }

    const stop = Date.now();
    server.child.kill('SIGTERM');
    const code = await server.exited;
    if (code !== 0) fail(`server exited with ${code} after SIGTERM (took ${Date.now() - stop} ms)`);

    const db = new Database(databasePath, { readonly: true });
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') fail(`integrity_check: ${integrity}`);
    const rows = db.prepare('SELECT owner_sub, url FROM bookmarks').all() as { owner_sub: string; url: string }[];
    for (const row of rows) if (!row.url.includes(`/u${row.owner_sub.replace('soak-user-', '')}/`)) fail(`crossed users in the database: ${row.owner_sub} owns ${row.url}`);
    const present = tracked.flat().filter((t) => t.state === 'present').length;
    if (rows.length < present) fail(`database holds ${rows.length} bookmarks, ${present} acknowledged present`);
    db.close();

    latencies.sort((a, b) => a - b);
    const pct = (p: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1);
    console.log(`soak: ${latencies.length} requests in ${elapsed.toFixed(1)} s = ${(latencies.length / elapsed).toFixed(0)} req/s; latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms`);
    console.log(`soak: acknowledged ${acknowledged.adds} adds, ${acknowledged.edits} edits, ${acknowledged.deletes} deletes; ${checked} bookmarks checked against exports; ${rows.length} rows in the database; ${rateLimited} writes rate limited (429, retried after Retry-After)`);
    console.log(`soak: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    if (failures.length > 0) {
      console.error(`soak: FAILED\n  ${failures.join('\n  ')}\n--- server log ---\n${server.log().slice(-4000)}`);
      process.exitCode = 1;
    } else {
      console.log('soak: OK — every acknowledged write present, every acknowledged delete gone, nothing crossed users');
    }
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
