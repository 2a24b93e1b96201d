import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildProduction, cardIds, FORM, HTMX_HEADERS, parseExport, prepareStack, signInOverHttp, startServer, type Server } from './lib/production.js';

/**
 * Crash safety: the production server takes a stream of writes and is killed
 * with SIGKILL mid-stream, again and again. After every kill the database must
 * pass PRAGMA integrity_check and hold every acknowledged add and none of the
 * acknowledged deletes.   CRASH_ITERATIONS (8) CRASH_WRITERS (8)
 */
const ITERATIONS = Number(process.env.CRASH_ITERATIONS ?? 8);
const WRITERS = Number(process.env.CRASH_WRITERS ?? 8);
/**
 * Writes per user before its writer signs in as a new one: below the write limit (300 a minute
 * per user, a 429 is a failure here), which is kept in the database and outlives the restarts.
 */
const WRITES_PER_USER = 250;

interface Write {
  url: string;
  /** The session of the user who added it. */
  cookie: string;
  id: number;
  deleted: boolean;
  /** A delete was in flight when the server died: it may or may not have landed. */
  uncertain: boolean;
  at: number;
}

async function main(): Promise<void> {
  buildProduction();
  const dir = mkdtempSync(join(tmpdir(), 'bookmarks-crash-'));
  const databasePath = join(dir, 'crash.db');
  const stack = await prepareStack();
  const failures: string[] = [];
  const acknowledged: Write[] = [];
  let server: Server | undefined;
  let checks = 0;
  let inFlightAtKill = 0;
  try {
    server = await startServer(stack, databasePath);
    // Sessions are stateless cookies with the same key across restarts: a sign-in serves until its user
    // has made WRITES_PER_USER writes. One user at a time per writer, so no writer waits on another.
    const cookies: string[] = [];
    const writerUsers = Array.from({ length: WRITERS }, () => ({ cookie: '', writes: WRITES_PER_USER, signIns: 0 }));
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      if (iteration > 0) server = await startServer(stack, databasePath);
      let stop = false;
      let inFlight = 0;
      const writers = Array.from({ length: WRITERS }, async (_, w) => {
        const user = writerUsers[w]!;
        for (let n = 0; !stop; n++) {
          let pendingDelete: Write | undefined;
          inFlight++;
          try {
            if (user.writes >= WRITES_PER_USER) {
              user.cookie = await signInOverHttp(stack.baseUrl, `crash-user-${w}-${user.signIns++}`);
              user.writes = 0;
              cookies.push(user.cookie);
            }
            const headers = { cookie: user.cookie, ...HTMX_HEADERS };
            const ownLive = acknowledged.filter((a) => !a.deleted && !a.uncertain && a.cookie === user.cookie);
            user.writes++;
            if (n % 4 === 3 && ownLive.length > 0) {
              const target = ownLive[0]!;
              pendingDelete = target;
              const response = await fetch(`${stack.baseUrl}/bookmarks/${target.id}`, { method: 'DELETE', headers });
              await response.text();
              if (response.status === 200) target.deleted = true;
              else failures.push(`delete answered ${response.status}`);
            } else {
              const url = `https://crash.example/i${iteration}/w${w}/${n}`;
              const response = await fetch(`${stack.baseUrl}/bookmarks`, {
                method: 'POST', headers: { ...headers, ...FORM },
                body: new URLSearchParams({ url, title: `crash ${iteration} ${w} ${n}`, tags: 'crash', q: `i${iteration}/w${w}/${n}` }),
              });
              const body = await response.text();
              if (response.status === 200) {
                const id = cardIds(body).get(url);
                if (id) acknowledged.push({ url, cookie: user.cookie, id, deleted: false, uncertain: false, at: Date.now() });
                else failures.push(`add of ${url} acknowledged without its card`);
              } else failures.push(`add answered ${response.status}`);
            }
          } catch {
            // The server died under this request: its outcome is unknown, and that is allowed.
            if (pendingDelete) pendingDelete.uncertain = true;
            return;
          } finally {
            inFlight--;
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1200));
      const inFlightNow = inFlight;
      inFlightAtKill += inFlightNow;
      if (inFlightNow === 0) failures.push(`iteration ${iteration}: no write was in flight at the kill`);
      const killedAt = Date.now();
      server.child.kill('SIGKILL');
      stop = true;
      await server.exited;
      await Promise.all(writers);

      const failuresBefore = failures.length;
      const db = new Database(databasePath);
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') failures.push(`iteration ${iteration}: integrity_check = ${integrity}`);
      const urls = new Set((db.prepare("SELECT url FROM bookmarks WHERE owner_sub LIKE 'crash-user-%'").all() as { url: string }[]).map((r) => r.url));
      db.close();
      for (const write of acknowledged) {
        if (write.uncertain) continue;
        checks++;
        if (!write.deleted && !urls.has(write.url)) failures.push(`iteration ${iteration}: acknowledged add lost: ${write.url} (id ${write.id}, acknowledged ${killedAt - write.at} ms before the kill)`);
        if (write.deleted && urls.has(write.url)) failures.push(`iteration ${iteration}: acknowledged delete undone: ${write.url}`);
      }
      console.log(`crash: iteration ${iteration + 1}/${ITERATIONS}: killed with ${inFlightNow} requests in flight; integrity ${integrity}; ${acknowledged.length} acknowledged adds (${acknowledged.filter((a) => a.deleted).length} deleted): ${failures.length === failuresBefore ? 'all as acknowledged' : 'MISMATCH'}`);
    }

    // A last start: the app reads the same data back over HTTP and shuts down cleanly.
    server = await startServer(stack, databasePath);
    const exported = new Set<string>();
    for (const cookie of cookies) {
      for (const entry of parseExport(await (await fetch(`${stack.baseUrl}/export`, { headers: { cookie } })).text())) exported.add(entry.url);
    }
    for (const write of acknowledged) if (!write.uncertain && exported.has(write.url) === write.deleted) failures.push(`after restart, export disagrees on ${write.url}`);
    server.child.kill('SIGTERM');
    const code = await server.exited;
    if (code !== 0) failures.push(`SIGTERM exit code ${code}`);
  } finally {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const deletes = acknowledged.filter((a) => a.deleted).length;
  console.log(`crash: ${ITERATIONS} SIGKILLs, ${inFlightAtKill} requests in flight at the kills; ${acknowledged.length + deletes} acknowledged writes (${acknowledged.length} adds, ${deletes} deletes), each checked after every later kill (${checks} checks)`);
  if (failures.length > 0) {
    console.error(`crash: FAILED\n  ${failures.slice(0, 30).join('\n  ')}`);
    process.exitCode = 1;
  } else console.log('crash: OK — integrity_check ok after every kill and every acknowledged write survived');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
