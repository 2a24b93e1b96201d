/**
 * `npm run bench` (issue 4): seeds 100k bookmarks, starts the built app as in
 * production, signs in through the real login flow, and loads it with
 * autocannon next to a bare Fastify ceiling. Writes bench/RESULTS.md.
 * Options: --duration <seconds> (default 10), --cpu-prof (profiles the app into bench/profiles/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startLocalProvider } from '../src/dev/oidc-provider.js';
import { measureQueryCosts, type QueryCost } from './query-costs.js';
import { RARE_WORD, seed, WORDS } from './seed.js';
import { signInOverHttp } from './sign-in.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
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

const children: ChildProcess[] = [];
let tempDir = '';
function cleanUp(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
process.on('exit', cleanUp);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Starts a child whose output is kept (last 20 kB) for the error report. */
function start(command: string, commandArgs: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; output: () => string } {
  const child = spawn(command, commandArgs, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => output };
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}\n${output()}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not come up\n${output()}`);
}

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
  const seeded = seed(databasePath, USER);
  console.log(`seeded ${seeded.rows} rows (${seeded.ownRows} for ${USER}) in ${(seeded.milliseconds / 1000).toFixed(1)} s`);

  const queryCosts = measureQueryCosts(databasePath, USER, [COMMON_PREFIX, 'pr', `${COMMON_PREFIX} data`, RARE_WORD, '', '#dev', `${COMMON_PREFIX} #dev`]);
  console.log(queryCostTable(queryCosts));

  const appPort = await freePort();
  const appBase = `http://127.0.0.1:${appPort}`;
  const provider = await startLocalProvider({ appBaseUrl: appBase });
  const profileArgs = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(root, 'bench/profiles')}`] : [];
  // Exactly what `npm start` runs: compiles src/ when dist/ is stale, then serves with NODE_ENV=production.
  const app = start(process.execPath, [...profileArgs, 'scripts/start.mjs'], {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(appPort),
    APP_BASE_URL: appBase,
    AUTH0_DOMAIN: provider.issuer,
    AUTH0_CLIENT_ID: provider.clientId,
    AUTH0_CLIENT_SECRET: provider.clientSecret,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    DATABASE_PATH: databasePath,
    LOG_LEVEL: 'warn',
  });
  await waitFor(`${appBase}/healthz`, app.child, app.output);
  const cookie = await signInOverHttp(appBase, USER);

  const helloPort = await freePort();
  const hello = start(process.execPath, ['bench/hello-server.mjs', String(helloPort)]);
  await waitFor(`http://127.0.0.1:${helloPort}/`, hello.child, hello.output);

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
  const stopped = new Promise((done) => app.child.once('exit', done));
  app.child.kill('SIGTERM');
  await stopped;
  await provider.close();

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
