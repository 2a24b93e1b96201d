/**
 * `npm run bench`: seeds 100,000 bookmarks for one user (and 20,000 for others)
 * into SQLite, copies them into a throwaway PostgreSQL, starts the built app as
 * `npm start` does on each, signs in through the real login flow, and loads it
 * with autocannon next to a bare Fastify ceiling measured in the same run.
 * Configurations: SQLite with one worker and with WEB_CONCURRENCY workers (one
 * per core), PostgreSQL with one worker and with all, and for comparison SQLite with one
 * worker and V8's pretenuring kept on (src/pretenuring.ts). Writes bench/RESULTS.md.
 * Options: --duration <seconds> (default 10), --cpu-prof (profiles into bench/profiles/).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { openDb } from '../src/db/client.js';
import { mergeSearchIndex } from '../src/bookmarks/search-index-upkeep.js';
import { copyDatabase } from '../src/db/copy.js';
import { migrate } from '../src/db/migrate.js';
import { KEEP_PRETENURING_FLAG } from '../src/pretenuring.js';
import { PostgresDb } from '../src/db/postgres.js';
import { startPostgres, type PostgresServer } from '../scripts/lib/postgres-server.js';
import { freePort, root, start, startApp, waitFor } from './processes.js';
import { childProcesses } from '../scripts/lib/production.js';
import { measureNeverAskedCosts, measureQueryCosts, type QueryCost } from './query-costs.js';
import { LIST_COUNT_UP_TO, LIST_PAGE_SIZE } from '../src/bookmarks/routes.js';
import { RARE_WORD, seed, WORDS } from './seed.js';
import { signInOverHttp } from './sign-in.js';

const args = process.argv.slice(2);
const DURATION = args.includes('--duration') && Number(args[args.indexOf('--duration') + 1]) > 0 ? Number(args[args.indexOf('--duration') + 1]) : 10;
const WARMUP = 2;
const CONNECTIONS = 50;
const TYPING_SECONDS = Math.max(3, Math.round(DURATION / 2));
const CPU_PROF = args.includes('--cpu-prof');
const USER = 'bench-user';
const COMMON_PREFIX = 'prog';
const TAG = 'dev';
/** Past the 8 letters that the search index had prefix indexes for before migration 0017. */
const LONG_WORD = 'programming';
const CORES = availableParallelism();
/** How many of a many-path scenario's answers are fetched once more, after its load, to find its largest (the headline's 300: all of them). */
const ANSWERS_WEIGHED = 300;

interface Scenario {
  name: string;
  path: string;
  htmx: boolean;
  search: boolean;
  /** Paths each connection sends in turn, instead of `path` over and over. */
  paths?: string[];
  /** Sent with If-None-Match of the answer before, as a browser coming back to a page it kept: expects 304s. */
  revalidated?: boolean;
  /** No warm-up: every path is sent at most once. */
  unrepeated?: boolean;
}

/**
 * As a person types: one- to six-letter prefixes and whole words of the 100
 * most common title words, sent in turn, so each request reads a different page
 * (the headline scenario: no answer repeats before 245 others have been made).
 */
const TYPED_SEARCHES = WORDS.slice(0, 100).flatMap((word) => [word.slice(0, 1 + (word.length % 3)), word.slice(0, 4 + (word.length % 3)), word]);
const typedPaths = [...new Set(TYPED_SEARCHES)].slice(0, 300).map((q) => `/bookmarks/search?q=${encodeURIComponent(q)}`);

const SEARCHES: Scenario[] = [
  { name: `search, ${typedPaths.length} different prefixes and words in turn`, path: typedPaths[0]!, paths: typedPaths, htmx: true, search: true },
  { name: `search common prefix "${COMMON_PREFIX}"`, path: `/bookmarks/search?q=${COMMON_PREFIX}`, htmx: true, search: true },
  { name: `search rare word "${RARE_WORD}"`, path: `/bookmarks/search?q=${RARE_WORD}`, htmx: true, search: true },
  { name: `search tag "#${TAG}"`, path: `/bookmarks/search?q=${encodeURIComponent(`#${TAG}`)}`, htmx: true, search: true },
  { name: 'search empty query', path: '/bookmarks/search?q=', htmx: true, search: true },
];
/**
 * A person typing searches nobody asked before: a second word typed after a first (10,000
 * pairs, 8,700 once repeats are dropped), each sent once (no warm-up repeats them), so every
 * total is counted afresh.
 */
const newSearches = [
  ...new Set(WORDS.slice(0, 100).flatMap((first, i) => WORDS.slice(0, 100).map((second, j) => `${first} ${second.slice(0, 1 + ((i + j) % 4))}`))),
];
const newSearchPaths = newSearches.map((q) => `/bookmarks/search?q=${encodeURIComponent(q)}`);
const NEW_SEARCHES: Scenario = {
  name: `search, ${newSearchPaths.length.toLocaleString('en')} searches never asked before, each once`,
  path: newSearchPaths[0]!,
  paths: newSearchPaths,
  htmx: true,
  search: true,
  unrepeated: true,
};

/** Behind the session, CSRF, rate-limit and header hooks, no work but a database ping: the floor of any signed-in request. */
const FLOOR: Scenario = { name: 'floor: GET /healthz with the session cookie', path: '/healthz', htmx: false, search: false };

const SCENARIOS: Scenario[] = [
  ...SEARCHES,
  { name: 'GET /dashboard (full page)', path: '/dashboard', htmx: false, search: false },
  // The browser's copy confirmed (src/http/revalidation.ts): the check runs, the page neither renders nor travels.
  { name: 'coming back to the dashboard: If-None-Match, 304', path: '/dashboard', htmx: false, search: false, revalidated: true },
  FLOOR,
];

interface Row {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Bytes of one answer's body (the first page of a search); of a scenario of many paths, the largest. */
  bytes: number;
  /** Peak VmRSS of the largest app process while loaded. */
  rssMb: number;
  /** CPU time of the server's processes (the app's primary and workers), in cores, while loaded. */
  serverCores: number;
  /** CPU time of this process, the load generator, in cores, while loaded. */
  loadCores: number;
  failures: number;
  search: boolean;
}

let tempDir = '';
let postgres: PostgresServer | undefined;
process.on('exit', () => {
  postgres?.destroy();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The process and its children (node:cluster's workers). */
function processTree(pid: number): number[] {
  try {
    return [pid, ...childProcesses(pid).flatMap(processTree)];
  } catch {
    return [pid];
  }
}

/** User and system CPU time of a process so far, in seconds (0 once it is gone). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, the 14th and 15th fields, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** How many connections load a server, for how long, after how long a warm-up (defaults: CONNECTIONS, DURATION, WARMUP). */
interface LoadShape {
  connections?: number;
  duration?: number;
  warmup?: number;
}

async function load(
  name: string,
  url: string,
  headers: Record<string, string>,
  pid: number,
  options: LoadShape & { search: boolean; paths?: string[]; revalidated?: boolean; unrepeated?: boolean },
): Promise<Row> {
  const requests = options.paths?.map((path) => ({ method: 'GET' as const, path }));
  const connections = options.connections ?? CONNECTIONS;
  const common = { url, connections, headers, ...(requests ? { requests } : {}) };
  if (!options.unrepeated) await autocannon({ ...common, duration: options.warmup ?? WARMUP });
  let peak = 0;
  const sample = (): void => {
    for (const process of processTree(pid)) peak = Math.max(peak, rssMb(process));
  };
  const sampler = setInterval(sample, 250);
  // Whether the server or the load generator (sharing the machine) was the limit.
  const servers = processTree(pid);
  const serverBefore = servers.map(cpuSeconds);
  const loadBefore = process.cpuUsage();
  const startedAt = performance.now();
  const result = await autocannon({ ...common, duration: options.duration ?? DURATION });
  const seconds = (performance.now() - startedAt) / 1000;
  const serverSeconds = servers.reduce((sum, server, i) => sum + cpuSeconds(server) - serverBefore[i]!, 0);
  const loadUsage = process.cpuUsage(loadBefore);
  clearInterval(sampler);
  if (options.unrepeated && requests && result.requests.total > requests.length) throw new Error(`${name}: ${result.requests.total} requests repeated some of the ${requests.length} paths`);
  sample();
  // A scenario of many paths is as large as its largest answer: of the first ANSWERS_WEIGHED, each asked once more.
  const weighed = options.paths ? options.paths.slice(0, ANSWERS_WEIGHED).map((path) => new URL(path, url).href) : [url];
  let bytes = 0;
  for (const answer of weighed) bytes = Math.max(bytes, (await (await fetch(answer, { headers, redirect: 'manual' })).arrayBuffer()).byteLength);
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytes,
    rssMb: peak,
    serverCores: Math.max(0, serverSeconds) / seconds,
    loadCores: (loadUsage.user + loadUsage.system) / 1e6 / seconds,
    // A revalidated scenario expects 304s: any other answer is a failure (a 303 to sign-in too).
    failures: (options.revalidated ? result.requests.total - (result.statusCodeStats?.['304']?.count ?? 0) : result.non2xx) + result.errors + result.timeouts,
    search: options.search,
  };
}

/** CPU time in cores as a share of one core: 100 % is a whole core. */
const percent = (cores: number): string => `${Math.round(100 * cores)} %`;

function table(rows: Row[], ceiling: number): string {
  return [
    '| scenario | req/s | p50 ms | p99 ms | answer kB | RSS MB | CPU: server / load generator | req/s vs ceiling |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.name}${row.failures ? ` (${row.failures} failed)` : ''} | ${Math.round(row.requestsPerSecond)} | ${row.p50} | ${row.p99} | ${(row.bytes / 1000).toFixed(1)} | ${row.rssMb.toFixed(0)} | ${percent(row.serverCores)} / ${percent(row.loadCores)} | ${((100 * row.requestsPerSecond) / ceiling).toFixed(1)}% |`,
    ),
  ].join('\n');
}

function queryCostTable(costs: QueryCost[]): string {
  return [
    `| search | matches | total counted (ms) | counted up to ${LIST_COUNT_UP_TO.toLocaleString('en')}, as lists count (ms) | total remembered (ms) |`,
    '|---|---:|---:|---:|---:|',
    ...costs.map((cost) => `| \`${cost.search || '(empty)'}\` | ${cost.total} | ${cost.coldMs.toFixed(2)} | ${cost.listColdMs.toFixed(2)} | ${cost.warmMs.toFixed(2)} |`),
  ].join('\n');
}

interface Configuration {
  label: string;
  env: Record<string, string>;
  rows: Row[];
  typing: Row[];
  /** Node's own arguments for the app (the primary passes them on to its workers). */
  nodeArgs?: string[];
  /** A subset of SCENARIOS, and no typing: for a comparison. */
  scenarios?: Scenario[];
}

/** A server of the bench's own (node's arguments for a free port) under the same load as the app, or the one given; signed in first where it has a session to read. */
async function measureServer(name: string, args: (port: number) => string[], signIn = false, loadOptions: LoadShape = {}): Promise<Row> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const server = start(process.execPath, args(port));
  await waitFor(base, server);
  const cookie = signIn ? (await fetch(`${base}sign-in`)).headers.getSetCookie()[0]!.split(';')[0]! : undefined;
  const row = await load(name, base, cookie ? { cookie } : {}, server.child.pid!, { search: false, ...loadOptions });
  server.child.kill('SIGTERM');
  return row;
}

/** One person typing alone: one connection, each request waiting for the last. */
const TYPING_LOAD: LoadShape = { connections: 1, duration: TYPING_SECONDS, warmup: 1 };

const helloWorld = (port: number): string[] => ['bench/hello-server.mjs', String(port)];
/** The bare Fastify "hello world" under the same load. */
const measureCeiling = (): Promise<Row> => measureServer('bare Fastify "hello world" (ceiling)', helloWorld);
/** The same at one connection: what this machine gives one person before any app's work. */
const measureTypingCeiling = (): Promise<Row> => measureServer('bare Fastify "hello world" at one connection (ceiling)', helloWorld, false, TYPING_LOAD);
/** Of two samples taken at either end of the run, the faster: on a shared machine one can come out low, which would flatter every ratio to it. */
const faster = (first: Row, last: Row): Row => (last.requestsPerSecond > first.requestsPerSecond ? last : first);

async function measure(configuration: Configuration, databasePath: string, ceiling: number): Promise<void> {
  const profileArgs = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(root, 'bench/profiles')}`] : [];
  const scenarios = configuration.scenarios ?? SCENARIOS;
  // Exactly what `npm start` runs: compiles src/ when dist/ is stale, migrates, then serves with NODE_ENV=production.
  const app = await startApp(databasePath, { nodeArgs: [...profileArgs, ...(configuration.nodeArgs ?? [])], env: configuration.env });
  try {
    const cookie = await signInOverHttp(app.base, USER);
    const plainHeaders = (scenario: Scenario): Record<string, string> => ({
      cookie,
      ...(scenario.htmx ? { 'hx-request': 'true', 'hx-trigger': 'search-form' } : {}),
    });
    // The data does not change during the load, so the ETag read here holds for all of it.
    const etags = new Map<Scenario, string>();
    for (const scenario of scenarios.filter((scenario) => scenario.revalidated)) {
      const etag = (await fetch(`${app.base}${scenario.path}`, { headers: plainHeaders(scenario), redirect: 'manual' })).headers.get('etag');
      if (!etag) throw new Error(`${scenario.path} answered without an ETag`);
      etags.set(scenario, etag);
    }
    const headersFor = (scenario: Scenario): Record<string, string> => ({ ...plainHeaders(scenario), ...(etags.has(scenario) ? { 'if-none-match': etags.get(scenario)! } : {}) });
    for (const scenario of scenarios) {
      const response = await fetch(`${app.base}${scenario.path}`, { headers: headersFor(scenario), redirect: 'manual' });
      if (response.status !== (scenario.revalidated ? 304 : 200)) throw new Error(`${scenario.path} answered ${response.status} before the load started`);
    }
    console.log(`${configuration.label}: ${CONNECTIONS} connections, ${DURATION} s each after ${WARMUP} s warm-up…`);
    for (const scenario of scenarios) {
      configuration.rows.push(await load(scenario.name, `${app.base}${scenario.path}`, headersFor(scenario), app.child.pid!, scenario));
      const row = configuration.rows.at(-1)!;
      console.log(`  ${scenario.name}: ${Math.round(row.requestsPerSecond)} req/s (${((100 * row.requestsPerSecond) / ceiling).toFixed(1)}%), p99 ${row.p99} ms`);
    }
    // One person typing alone; the floor beside the searches shows what any signed-in request costs them.
    for (const scenario of configuration.scenarios ? [] : [...SEARCHES, NEW_SEARCHES, FLOOR]) {
      const row = await load(scenario.name, `${app.base}${scenario.path}`, headersFor(scenario), app.child.pid!, { ...scenario, ...TYPING_LOAD });
      configuration.typing.push(row);
      console.log(`  one person typing, ${scenario.name}: p50 ${row.p50} ms, p99 ${row.p99} ms`);
    }
  } finally {
    // A graceful stop lets --cpu-prof write its profile.
    await app.stop();
  }
}

async function main(): Promise<void> {
  tempDir = mkdtempSync(join(tmpdir(), 'bookmarks-bench-'));
  const databasePath = join(tempDir, 'bench.db');

  console.log('seeding…');
  const seeded = await seed(databasePath, USER);
  console.log(`seeded ${seeded.rows} rows (${seeded.ownRows} for ${USER}) in ${(seeded.milliseconds / 1000).toFixed(1)} s`);
  // As the app does after an import (SearchIndexUpkeep): the seed is one large import.
  const mergeStarted = performance.now();
  const seededDb = await openDb({ engine: 'sqlite', path: databasePath });
  const merged = (await mergeSearchIndex(seededDb))!;
  await seededDb.close();
  const mergeSeconds = (performance.now() - mergeStarted) / 1000;
  console.log(`search index merged from ${merged.before.segments} segments to ${merged.after.segments} in ${mergeSeconds.toFixed(1)} s (${merged.steps} steps)`);

  const queryCosts = await measureQueryCosts(databasePath, USER, [COMMON_PREFIX, 'pr', `${COMMON_PREFIX} data`, LONG_WORD, RARE_WORD, '', `#${TAG}`, `${COMMON_PREFIX} #${TAG}`]);
  console.log(queryCostTable(queryCosts));
  const neverAsked = await measureNeverAskedCosts(databasePath, USER, newSearches);
  const neverAskedLine = `The ${newSearches.length.toLocaleString('en')} searches never asked before of the typing scenario, each once, a page of ${LIST_PAGE_SIZE} counted up to ${LIST_COUNT_UP_TO.toLocaleString('en')} as lists ask, a turn of the event loop apart: p50 ${neverAsked.p50.toFixed(2)} ms, p99 ${neverAsked.p99.toFixed(2)} ms, slowest ${neverAsked.max.toFixed(2)} ms. Over HTTP the same searches also carry the answer's own work and V8's garbage collection (the typing rows above).`;
  console.log(neverAskedLine);

  console.log('copying into PostgreSQL…');
  postgres = await startPostgres();
  const copyStarted = performance.now();
  const [source, target] = [await openDb({ engine: 'sqlite', path: databasePath }), new PostgresDb(postgres.adminUrl)];
  await migrate(target);
  await copyDatabase(source, target);
  // The throwaway server commits asynchronously, and a row's hint bits (without which VACUUM marks no page all-visible)
  // wait for its commit to reach the WAL on disk: a checkpoint first, so the VACUUM leaves the table as autovacuum leaves
  // a production one, its pages all-visible and index-only scans reading no heap (without it, relallvisible stayed 0).
  await target.pool.query('CHECKPOINT');
  await target.pool.query('VACUUM ANALYZE');
  await Promise.all([source.close(), target.close()]);
  const copySeconds = (performance.now() - copyStarted) / 1000;
  console.log(`copied in ${copySeconds.toFixed(1)} s`);

  const firstCeiling = await measureCeiling();
  console.log(`ceiling: ${Math.round(firstCeiling.requestsPerSecond)} req/s (measured again at the end)`);
  const firstTypingCeiling = await measureTypingCeiling();
  console.log(`ceiling at one connection: ${Math.round(firstTypingCeiling.requestsPerSecond)} req/s, p99 ${firstTypingCeiling.p99} ms (measured again at the end)`);
  const floorSteps: Row[] = [];
  for (const [step, name] of [[1, '+ the fixed security headers'], [2, '+ reading the session cookie (no database)']] as const) {
    floorSteps.push(await measureServer(name, (port) => ['--import', 'tsx', 'bench/floor-steps-server.ts', String(port), String(step)], step >= 2));
    console.log(`  ${name}: ${Math.round(floorSteps.at(-1)!.requestsPerSecond)} req/s`);
  }

  const configurations: Configuration[] = [
    { label: 'SQLite, 1 worker', env: { WEB_CONCURRENCY: '1' }, rows: [], typing: [] },
    { label: `SQLite, ${CORES} workers`, env: { WEB_CONCURRENCY: String(CORES) }, rows: [], typing: [] },
    { label: 'PostgreSQL, 1 worker', env: { WEB_CONCURRENCY: '1', DATABASE_URL: postgres.adminUrl }, rows: [], typing: [] },
    { label: `PostgreSQL, ${CORES} workers`, env: { WEB_CONCURRENCY: String(CORES), DATABASE_URL: postgres.adminUrl }, rows: [], typing: [] },
  ];
  // The app turns V8's allocation-site pretenuring off (src/pretenuring.ts); node started with V8's
  // flag keeps it on. Measured right after SQLite with one worker, so the two runs sit side by side.
  const withPretenuring: Configuration = {
    label: "SQLite, 1 worker, V8's pretenuring kept on",
    env: { WEB_CONCURRENCY: '1' },
    rows: [],
    typing: [],
    nodeArgs: [KEEP_PRETENURING_FLAG],
    scenarios: [SEARCHES[0]!, SCENARIOS.find((scenario) => scenario.path === '/dashboard' && !scenario.revalidated)!],
  };
  for (const configuration of [configurations[0]!, withPretenuring, ...configurations.slice(1)]) await measure(configuration, databasePath, firstCeiling.requestsPerSecond);
  const lastCeiling = await measureCeiling();
  const lastTypingCeiling = await measureTypingCeiling();
  const ceilingRow = faster(firstCeiling, lastCeiling);
  const ceiling = ceilingRow.requestsPerSecond;
  const typingCeiling = faster(firstTypingCeiling, lastTypingCeiling);
  console.log(`ceiling: ${Math.round(firstCeiling.requestsPerSecond)} req/s at the start, ${Math.round(lastCeiling.requestsPerSecond)} at the end; ratios use ${Math.round(ceiling)}`);

  const [sqliteOne, sqliteAll, postgresOne, postgresAll] = configurations as [Configuration, Configuration, Configuration, Configuration];
  const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const share = (row: Row): number => row.requestsPerSecond / ceiling;
  const searchRows = (rows: Row[]): Row[] => rows.filter((row) => row.search);
  const worst = (rows: Row[], pick: (row: Row) => number, direction: 'max' | 'min'): number => (direction === 'max' ? Math.max : Math.min)(...rows.map(pick));
  const rowNamed = (rows: Row[], prefix: string): Row => {
    const row = rows.find((row) => row.name.startsWith(prefix));
    if (!row) throw new Error(`no row named "${prefix}…" among ${rows.map((row) => `"${row.name}"`).join(', ')}`);
    return row;
  };
  const targetsFor = (configuration: Configuration): string[] => {
    const searches = searchRows(configuration.rows);
    const floor = rowNamed(configuration.rows, FLOOR.name);
    const typed = searchRows(configuration.typing);
    const typedFloor = rowNamed(configuration.typing, FLOOR.name);
    const dashboard = rowNamed(configuration.rows, 'GET /dashboard');
    const loaded = [...configuration.rows, ...configuration.typing];
    return [
      `- floor ≥ 50% of the ceiling: ${(100 * share(floor)).toFixed(1)}% — ${verdict(share(floor) >= 0.5)}`,
      `- search ≥ 15% of the ceiling at ${CONNECTIONS} connections: worst ${(100 * worst(searches, share, 'min')).toFixed(1)}% — ${verdict(worst(searches, share, 'min') >= 0.15)}`,
      `- search p99 ≤ 50 ms at ${CONNECTIONS} connections: worst ${worst(searches, (row) => row.p99, 'max')} ms — ${verdict(worst(searches, (row) => row.p99, 'max') <= 50)}`,
      `- dashboard p99 ≤ 100 ms at ${CONNECTIONS} connections: ${dashboard.p99} ms — ${verdict(dashboard.p99 <= 100)}`,
      `- one person typing, p99 ≤ 5 ms for every search: worst ${worst(typed, (row) => row.p99, 'max')} ms (the floor ${typedFloor.p99} ms, "hello world" ${typingCeiling.p99} ms) — ${verdict(worst(typed, (row) => row.p99, 'max') <= 5)}`,
      `- a first page of live search ≤ 25 kB: largest ${(worst(searches, (row) => row.bytes, 'max') / 1000).toFixed(1)} kB — ${verdict(worst(searches, (row) => row.bytes, 'max') <= 25_000)}`,
      // Every row, one person typing too: never-asked searches fill the caches with new entries, the peak of all.
      `- RSS ≤ 150 MB per process, at ${CONNECTIONS} connections and at one: peak ${worst(loaded, (row) => row.rssMb, 'max').toFixed(0)} MB — ${verdict(worst(loaded, (row) => row.rssMb, 'max') <= 150)}`,
    ];
  };
  const headline = (configuration: Configuration): Row => configuration.rows[0]!;
  const p99Ratio = Math.max(...searchRows(postgresAll.rows).map((row, i) => row.p99 / Math.max(1, searchRows(sqliteAll.rows)[i]!.p99)));
  const crossTargets = [
    `- PostgreSQL search p99 within 2× of SQLite's (${CORES} workers each, scenario by scenario): worst ratio ${p99Ratio.toFixed(2)} — ${verdict(p99Ratio <= 2)}`,
    `- more workers give more throughput, never less: headline search ${Math.round(headline(sqliteOne).requestsPerSecond)} → ${Math.round(headline(sqliteAll).requestsPerSecond)} req/s on SQLite, ${Math.round(headline(postgresOne).requestsPerSecond)} → ${Math.round(headline(postgresAll).requestsPerSecond)} on PostgreSQL — ${verdict(headline(sqliteAll).requestsPerSecond > headline(sqliteOne).requestsPerSecond && headline(postgresAll).requestsPerSecond > headline(postgresOne).requestsPerSecond)}`,
    `- seeding 100k bookmarks ≤ 10 s: ${(seeded.milliseconds / 1000).toFixed(1)} s — ${verdict(seeded.milliseconds <= 10_000)}`,
  ];

  const pretenuringRows = withPretenuring.rows.map((row) => [row, rowNamed(sqliteOne.rows, row.name)] as const);
  const pretenuringLines = pretenuringRows.map(
    ([kept, off]) => `- ${kept.name}: ${Math.round(kept.requestsPerSecond)} → ${Math.round(off.requestsPerSecond)} req/s (${off.requestsPerSecond >= kept.requestsPerSecond ? '+' : ''}${((100 * (off.requestsPerSecond - kept.requestsPerSecond)) / kept.requestsPerSecond).toFixed(0)}%), p99 ${kept.p99} → ${off.p99} ms, peak RSS ${kept.rssMb.toFixed(0)} → ${off.rssMb.toFixed(0)} MB`,
  );

  const cpu = cpus();
  const section = (configuration: Configuration): string => `### ${configuration.label}

${table([ceilingRow, ...configuration.rows], ceiling)}

One person typing alone (1 connection, ${TYPING_SECONDS} s each; the ceiling is measured at one connection too, and the last column is relative to it):

${table([typingCeiling, ...configuration.typing], typingCeiling.requestsPerSecond)}

${targetsFor(configuration).join('\n')}
`;
  const report = `# Benchmark results

Produced by \`npm run bench\` on ${new Date().toISOString()}.

- Machine: ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${process.platform}; the load generator runs on the same machine
- Data: ${seeded.rows.toLocaleString('en')} bookmarks, ${seeded.ownRows.toLocaleString('en')} of them the signed-in user's; seeded into SQLite in ${(seeded.milliseconds / 1000).toFixed(1)} s, its search index then merged from ${merged.before.segments} segments to ${merged.after.segments} in ${mergeSeconds.toFixed(1)} s as the app does after an import, copied into PostgreSQL (\`copyDatabase\`, as \`npm run db:copy\`) in ${copySeconds.toFixed(1)} s
- Load: autocannon, ${CONNECTIONS} connections, ${DURATION} s per scenario after a ${WARMUP} s warm-up, 127.0.0.1 only; the ceiling is a bare Fastify "hello world" in one process, measured in this run before and after the app (${Math.round(firstCeiling.requestsPerSecond).toLocaleString('en')} and ${Math.round(lastCeiling.requestsPerSecond).toLocaleString('en')} req/s; at one connection ${Math.round(firstTypingCeiling.requestsPerSecond).toLocaleString('en')} and ${Math.round(lastTypingCeiling.requestsPerSecond).toLocaleString('en')}): the higher is the ceiling
- The app: started as \`npm start\` does (\`scripts/start.mjs\`: NODE_ENV=production, migrations, then WEB_CONCURRENCY workers), LOG_LEVEL=warn, signed in through the local OpenID provider; searches are htmx requests, as the search box sends them
- RSS: peak VmRSS of the largest app process (primary or worker) while loaded
- CPU: user and system time while loaded, as a share of one core (100 % is a whole core), of the server's processes (for the app its primary and workers; PostgreSQL's own processes are not counted) and of the load generator, which shares the machine
- "answer kB": the body of one answer: the first page of a search, the whole dashboard; for a scenario of many searches, the largest first page of its first ${ANSWERS_WEIGHED}

## Across configurations

${crossTargets.join('\n')}

### What the floor is made of

A bare Fastify "hello world" with one piece of a signed-in request added at a time (\`bench/floor-steps-server.ts\`), one process each, in this run:

${table([ceilingRow, ...floorSteps], ceiling)}

The app's floor (below) adds the ended-session lookup in the database and its other hooks to the last step.

${configurations.map(section).join('\n')}
### What turning off V8's pretenuring gives

The app turns V8's allocation-site pretenuring off before it serves (\`src/pretenuring.ts\`). ${withPretenuring.rows.length} of the scenarios on SQLite with one worker, one sample each, measured right after the "SQLite, 1 worker" section with node started with \`${KEEP_PRETENURING_FLAG}\` (V8's default kept):

${table([ceilingRow, ...withPretenuring.rows], ceiling)}

V8's default → the app's setting:

${pretenuringLines.join('\n')}

## searchBookmarks alone (SQLite)

Median time of one call in the benchmark process (no HTTP, session or template), before the app starts. "Counted" is a search seen for the first time or after any write; "remembered" is the same search again, as "Load more" and dashboard reloads ask it.

${queryCostTable(queryCosts)}

${neverAskedLine}

The machine is shared, so absolute figures move between runs; the ratios to the ceiling measured in the same run are the figures to compare.
`;
  writeFileSync(join(root, 'bench/RESULTS.md'), report);
  console.log(`\n${crossTargets.join('\n')}\n\nV8's pretenuring kept on → turned off (SQLite, 1 worker):\n${pretenuringLines.join('\n')}\n\n${configurations.map((configuration) => `${configuration.label}\n${targetsFor(configuration).join('\n')}`).join('\n\n')}\n\nwritten to bench/RESULTS.md`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
