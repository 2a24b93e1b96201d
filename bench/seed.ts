import { sql } from 'drizzle-orm';
import { openDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { insertBookmarkRows, type BookmarkRowValues } from '../src/bookmarks/commands.js';

/**
 * Deterministic, realistic-looking bookmarks. Words are drawn from a Zipf-like
 * distribution, so the top words (and their prefixes) match a large share of
 * rows, while RARE_WORD is planted in exactly RARE_EVERY-th row.
 */
export const RARE_WORD = 'zeppelin';
const RARE_EVERY = 9_973;

// Ordered most to least frequent: rank decides the weight.
export const WORDS = `
guide introduction programming javascript python design database performance tutorial notes
how using best practices web server api rust react testing security linux docker review
building modern simple fast open source library framework deep dive understanding complete
beginners advanced patterns architecture distributed systems cloud kubernetes network protocol
memory garbage collector compiler parser language types typescript functional reactive state
management css layout grid flexbox animation accessibility browser rendering engine cache
caching queue stream event async concurrency thread lock mutex channel actor scheduler kernel
filesystem storage index query optimizer planner transaction isolation replication consensus
raft paxos sharding partition backup restore migration schema sqlite postgres mysql redis
mongodb elasticsearch search ranking relevance vector embedding machine learning neural model
training inference dataset statistics probability algebra calculus geometry graph tree heap
sorting hashing bloom filter trie string unicode encoding compression crypto signature
certificate oauth openid session cookie token authentication authorization identity privacy
recipe bread sourdough coffee espresso garden tomato hiking camping bicycle travel japan
kyoto lisbon iceland photography camera lens film music guitar piano synthesizer podcast
history science physics astronomy telescope chemistry biology evolution climate energy solar
battery electric vehicle economics finance investing budget startup product marketing writing
editing typography fonts color palette illustration drawing painting woodworking chair table
lamp keyboard mechanical switch monitor desk ergonomics productivity habits focus meditation
sleep running marathon swimming yoga climbing chess puzzle game engine shader vulkan opengl
metal wasm webassembly bytecode interpreter virtual machine emulator retro console arcade
`.trim().split(/\s+/u);

const TAGS = `
dev reading later tools docs reference article video tutorial howto inspiration design
cooking travel music science history finance health fitness photography gaming hardware
linux macos windows mobile web backend frontend database devops security ai research
paper book course talk podcast news blog opinion career productivity writing art diy
`.trim().split(/\s+/u);

const DOMAINS = `
github.com medium.com dev.to news.ycombinator.com stackoverflow.com en.wikipedia.org
developer.mozilla.org youtube.com arstechnica.com blog.cloudflare.com martinfowler.com
sqlite.org postgresql.org lwn.net smashingmagazine.com css-tricks.com nytimes.com
theguardian.com seriouseats.com bonappetit.com nature.com quantamagazine.org substack.com
jvns.ca danluu.com rachelbythebay.com fasterthanli.me eli.thegreenplace.net
`.trim().split(/\s+/u);

/** mulberry32: tiny, fast and reproducible across runs and machines. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks index i with weight 1/(i+1): a Zipf distribution with s = 1. */
function zipf(size: number, next: () => number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (let i = 0; i < size; i++) cumulative.push((sum += 1 / (i + 1)));
  return () => {
    const target = next() * sum;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

export interface SeedReport {
  rows: number;
  ownRows: number;
  milliseconds: number;
}

/** Seeds `path` (a fresh file) through the real migrations, in one transaction. */
export async function seed(path: string, ownerSub: string, ownRows = 100_000, otherUsers = 20, otherRowsEach = 1_000): Promise<SeedReport> {
  const started = performance.now();
  const db = await openDb({ engine: 'sqlite', path });
  await migrate(db);
  const next = random(42);
  const word = zipf(WORDS.length, next);
  const tag = zipf(TAGS.length, next);
  const fiveYears = 5 * 365 * 24 * 3600 * 1000;
  const start = Date.UTC(2021, 0, 1);
  const total = ownRows + otherUsers * otherRowsEach;

  await db.transaction(async (tx) => {
    let mine = 0;
    const rows: BookmarkRowValues[] = [];
    for (let i = 0; i < total; i++) {
      // Owners interleave evenly over time, as on a shared instance; exactly ownRows are ownerSub's.
      const isMine = mine < Math.round(((i + 1) * ownRows) / total);
      if (isMine) mine++;
      const owner = isMine ? ownerSub : `auth0|other-${(i - mine) % otherUsers}`;
      const titleWords = Array.from({ length: 3 + Math.floor(next() * 6) }, () => WORDS[word()]!);
      if (i % RARE_EVERY === 0) titleWords.splice(1, 0, RARE_WORD);
      const title = titleWords.map((w, k) => (k === 0 ? w[0]!.toUpperCase() + w.slice(1) : w)).join(' ');
      const slug = titleWords.slice(0, 4).join('-');
      const url = `https://${DOMAINS[Math.floor(next() * DOMAINS.length)]}/${slug}-${i.toString(36)}`;
      const tags = [...new Set(Array.from({ length: Math.floor(next() * 5) }, () => TAGS[tag()]!))];
      // Mostly increasing with jitter; every 50th row shares its neighbour's millisecond.
      const createdAt = start + Math.floor((i / total) * fiveYears) + (i % 50 === 0 ? 0 : Math.floor(next() * 1000));
      rows.push({ ownerSub: owner, url, title, tags, createdAt: new Date(createdAt) });
    }
    // The import's bulk insert: many rows per statement, through the same triggers.
    await insertBookmarkRows(tx, rows);
  });
  const counted = (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM bookmarks WHERE owner_sub = ${ownerSub}`))!;
  await db.close();
  return { rows: total, ownRows: counted.n, milliseconds: performance.now() - started };
}
