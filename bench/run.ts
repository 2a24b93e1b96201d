/**
 * `npm run bench` (issue 4): seeds 100k bookmarks, starts the built app as in
 * production, signs in through the real login flow, and loads it with
 * autocannon next to a bare Fastify ceiling. Writes bench/RESULTS.md.
 * Options: --duration <seconds> (default 10), --cpu-prof (profiles the app into bench/profiles/).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, root, start, startApp, waitFor } from './processes.js';
import { measureQueryCosts, type QueryCost } from './query-costs.js';
import { RARE_WORD, seed, WORDS } from './seed.js';
import { signInOverHttp } from './sign-in.js';

const args = process.argv.slice(2);
const DURATION = Number(args[args.indexOf('--duration') + 1]) > 0 && args.includes('--duration') ? Number(args[args.indexOf('--duration') + 1]) : 10;
const WARMUP = 2;
const CONNECTIONS = 50;
const CPU_PROF = args.includes('--cpu-prof');
const USER = 'bench-user';
const COMMON_PREFIX = 'prog';

interface Scenario {
  name: string;
  path: string;
  htmx: boolean;
  search: boolean;
  /** Paths each connection sends in turn, instead of `path` over and over. */
  paths?: string[];
}

/**
 * As a person types: one- to six-letter prefixes and whole words of the 100
 * most common title words, 300 different searches sent in turn, so each
 * request reads a different page (totals are remembered after the first round).
 */
const TYPED_SEARCHES = WORDS.slice(0, 100).flatMap((word) => [word.slice(0, 1 + (word.length % 3)), word.slice(0, 4 + (word.length % 3)), word]);
const typedPaths = [...new Set(TYPED_SEARCHES)].slice(0, 300).map((q) => `/bookmarks/search?q=${encodeURIComponent(q)}`);

const SCENARIOS: Scenario[] = [
  { name: `search common prefix "${COMMON_PREFIX}"`, path: `/bookmarks/search?q=${COMMON_PREFIX}`, htmx: true, search: true },
  { name: `search rare word "${RARE_WORD}"`, path: `/bookmarks/search?q=${RARE_WORD}`, htmx: true, search: true },
  { name: 'search empty query', path: '/bookmarks/search?q=', htmx: true, search: true },
  { name: `search, ${typedPaths.length} different prefixes and words in turn`, path: typedPaths[0]!, paths: typedPaths, htmx: true, search: true },
  { name: 'GET /dashboard (full page)', path: '/dashboard', htmx: false, search: false },
  // No work at all behind the session, CSRF, rate-limit and header hooks: the floor of any signed-in request.
  { name: 'floor: GET /healthz with the session cookie', path: '/healthz', htmx: false, search: false },
];

interface Row {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  rssMb: number;
  failures: number;
  search: boolean;
}

let tempDir = '';
process.on('exit', () => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function load(name: string, url: string, headers: Record<string, string>, pid: number, search: boolean, paths?: string[]): Promise<Row> {
  const requests = paths?.map((path) => ({ method: 'GET' as const, path }));
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP, headers, ...(requests ? { requests } : {}) });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 250);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers, ...(requests ? { requests } : {}) });
  clearInterval(sampler);
  peak = Math.max(peak, rssMb(pid));
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rssMb: peak,
    failures: result.non2xx + result.errors + result.timeouts,
    search,
  };
}

function table(rows: Row[], ceiling: number): string {
  const lines = [
    '| scenario | req/s | p50 ms | p99 ms | RSS MB | req/s vs ceiling |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.name}${row.failures ? ` (${row.failures} failed)` : ''} | ${Math.round(row.requestsPerSecond)} | ${row.p50} | ${row.p99} | ${row.rssMb.toFixed(0)} | ${((100 * row.requestsPerSecond) / ceiling).toFixed(0)}% |`,
    ),
  ];
  return lines.join('\n');
}

function queryCostTable(costs: QueryCost[]): string {
  return [
    '| search | matches | total counted (ms) | total remembered (ms) |',
    '|---|---:|---:|---:|',
    ...costs.map((cost) => `| \`${cost.search || '(empty)'}\` | ${cost.total} | ${cost.coldMs.toFixed(2)} | ${cost.warmMs.toFixed(2)} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  tempDir = mkdtempSync(join(tmpdir(), 'bookmarks-bench-'));
  const databasePath = join(tempDir, 'bench.db');

  console.log('seeding…');
  const seeded = await seed(databasePath, USER);
  console.log(`seeded ${seeded.rows} rows (${seeded.ownRows} for ${USER}) in ${(seeded.milliseconds / 1000).toFixed(1)} s`);

  const queryCosts = await measureQueryCosts(databasePath, USER, [COMMON_PREFIX, 'pr', `${COMMON_PREFIX} data`, RARE_WORD, '', '#dev', `${COMMON_PREFIX} #dev`]);
  console.log(queryCostTable(queryCosts));

  const profileArgs = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(root, 'bench/profiles')}`] : [];
  // Exactly what `npm start` runs: compiles src/ when dist/ is stale, then serves with NODE_ENV=production.
  const app = await startApp(databasePath, profileArgs);
  const appBase = app.base;
  const cookie = await signInOverHttp(appBase, USER);

  const helloPort = await freePort();
  const hello = start(process.execPath, ['bench/hello-server.mjs', String(helloPort)]);
  await waitFor(`http://127.0.0.1:${helloPort}/`, hello);

  const headersFor = (scenario: Scenario): Record<string, string> => ({
    cookie,
    ...(scenario.htmx ? { 'hx-request': 'true', 'hx-trigger': 'search-input' } : {}),
  });
  for (const scenario of SCENARIOS) {
    const response = await fetch(`${appBase}${scenario.path}`, { headers: headersFor(scenario), redirect: 'manual' });
    if (response.status !== 200) throw new Error(`${scenario.path} answered ${response.status} before the load started`);
  }

  console.log(`loading: ${CONNECTIONS} connections, ${DURATION} s each after ${WARMUP} s warm-up…`);
  const ceilingRow = await load('bare Fastify "hello world" (ceiling)', `http://127.0.0.1:${helloPort}/`, {}, hello.child.pid!, false);
  hello.child.kill('SIGTERM');
  const rows: Row[] = [ceilingRow];
  for (const scenario of SCENARIOS) {
    rows.push(await load(scenario.name, `${appBase}${scenario.path}`, headersFor(scenario), app.child.pid!, scenario.search, scenario.paths));
    console.log(`  ${scenario.name}: ${Math.round(rows.at(-1)!.requestsPerSecond)} req/s`);
  }

  // A graceful stop lets --cpu-prof write its profile.
  await app.stop();

  const ceiling = ceilingRow.requestsPerSecond;
  const searches = rows.filter((row) => row.search);
  const worstP99 = Math.max(...searches.map((row) => row.p99));
  const worstShare = Math.min(...searches.map((row) => row.requestsPerSecond / ceiling));
  const peakRss = Math.max(...rows.slice(1).map((row) => row.rssMb));
  const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const targets = [
    `- search p99 ≤ 10 ms at ${CONNECTIONS} connections: worst ${worstP99} ms — ${verdict(worstP99 <= 10)}`,
    `- search req/s ≥ 25% of the ceiling: worst ${(100 * worstShare).toFixed(0)}% — ${verdict(worstShare >= 0.25)}`,
    `- seeding 100k bookmarks ≤ 10 s: ${(seeded.milliseconds / 1000).toFixed(1)} s — ${verdict(seeded.milliseconds <= 10_000)}`,
    `- app RSS under load ≤ 200 MB: peak ${peakRss.toFixed(0)} MB — ${verdict(peakRss <= 200)}`,
  ];
  const floor = rows.find((row) => row.name.startsWith('floor:'));
  if (floor) {
    targets.push(
      `- for comparison, the floor (a signed-in request that does no work) reached ${((100 * floor.requestsPerSecond) / ceiling).toFixed(0)}% of the ceiling: ` +
        'session decryption, the CSRF and rate-limit hooks and the security headers run on every signed-in request, so no page can pass that share',
    );
  }
  const cpu = cpus();
  const report = `# Benchmark results

Produced by \`npm run bench\` on ${new Date().toISOString()}.

- Machine: ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${process.platform}
- Data: ${seeded.rows.toLocaleString('en')} bookmarks, ${seeded.ownRows.toLocaleString('en')} of them the signed-in user's; seeded in ${(seeded.milliseconds / 1000).toFixed(1)} s
- Load: autocannon in the benchmark process, ${CONNECTIONS} connections, ${DURATION} s per scenario after a ${WARMUP} s warm-up, 127.0.0.1 only
- The app: started as \`npm start\` does (\`scripts/start.mjs\`: NODE_ENV=production), LOG_LEVEL=warn, signed in through the local OpenID provider; searches are htmx requests (HX-Request: true), as the search box sends them
- RSS: peak VmRSS of the server process while loaded

${table(rows, ceiling)}

## searchBookmarks alone

Median time of one call in the benchmark process (SQLite and drizzle only: no HTTP, session or template), before the app starts. "Counted" is a search seen for the first time or after any write; "remembered" is the same search again, as "Load more" and dashboard reloads ask it (and as the load above repeats it).

${queryCostTable(queryCosts)}

## Targets

${targets.join('\n')}

The machine is shared, so absolute figures move between runs; the ratios to the ceiling measured in the same run are the figures to compare.
`;
  writeFileSync(join(root, 'bench/RESULTS.md'), report);
  console.log(`\n${table(rows, ceiling)}\n\n${targets.join('\n')}\n\nwritten to bench/RESULTS.md`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
