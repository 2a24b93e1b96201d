import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { migrateDatabase } from '../../src/db/client.js';
import { DatabaseUnavailableError } from '../../src/db/database.js';
import { createToken } from '../../src/tokens/tokens.js';
import { startLocalProvider, type LocalProvider } from '../../src/dev/oidc-provider.js';
import { startPostgres, type PostgresServer } from '../../scripts/lib/postgres-server.js';
import { as, buildTestApp, html, parseFragment, signIn, TEST_BASE_URL } from '../helpers.js';

/** A PostgreSQL server of the test's own, migrated, an app on it, and alice signed in (into `ctx`) with one bookmark titled `title`. */
async function startAppOnOwnServer(
  ctx: { app: FastifyInstance; cookies: Record<string, string> },
  title: string,
): Promise<{ server: PostgresServer; provider: LocalProvider; app: FastifyInstance }> {
  const server = await startPostgres();
  await migrateDatabase({ engine: 'postgres', url: server.adminUrl });
  const provider = await startLocalProvider({ appBaseUrl: TEST_BASE_URL });
  const app = await buildTestApp(provider, { database: { engine: 'postgres', url: server.adminUrl } });
  ctx.app = app;
  ctx.cookies.alice = await signIn(app, 'alice');
  await as(ctx, 'alice').post('/bookmarks', { url: 'https://kept.example/', title, tags: '' });
  return { server, provider, app };
}

/**
 * PostgreSQL going away while the app runs: health answers 503, pages answer a
 * friendly error, nothing crashes, and all is well again once the server is
 * back. This file stops and starts a server of its own, not the run's shared one.
 */
describe('PostgreSQL lost while running', () => {
  let server: PostgresServer;
  let provider: LocalProvider;
  let app: FastifyInstance;
  let token: string;
  const ctx = { cookies: {} as Record<string, string> } as { app: FastifyInstance; cookies: Record<string, string> };

  beforeAll(async () => {
    ({ server, provider, app } = await startAppOnOwnServer(ctx, 'Kept through the outage'));
    token = (await createToken(app.db, 'alice', 'outage')).secret;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await provider?.close();
    server?.destroy();
  });

  it('answers 503 on /healthz and a friendly page or notice elsewhere, then recovers when the server is back', async () => {
    expect((await as(ctx, null).get('/healthz')).statusCode).toBe(200);
    server.stop();

    const health = await as(ctx, null).get('/healthz');
    expect(health.statusCode).toBe(503);
    expect(health.body).toBe('database unavailable');

    const page = await as(ctx, 'alice').get('/dashboard');
    expect(page.statusCode).toBe(503);
    expect(html(page.body).querySelector('h1')?.textContent).toBe('Please try again shortly');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");

    const search = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=kept');
    expect(search.statusCode).toBe(503);
    expect(search.headers['hx-retarget']).toBe('#notice');
    expect(parseFragment(search.body).querySelector('.toast')?.textContent).toContain('cannot reach its database');

    const write = await as(ctx, 'alice').post('/bookmarks', { url: 'https://during.example/', title: 'During', tags: '' });
    expect(write.statusCode).toBe(503);

    // The API says the same, as problem+json, with a time to come back.
    const api = await app.inject({ method: 'GET', url: '/api/v1/bookmarks', headers: { authorization: `Bearer ${token}` } });
    expect(api.statusCode).toBe(503);
    expect(api.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(api.headers['retry-after']).toBe('5');

    server.start();
    let healthy = false;
    for (let attempt = 0; attempt < 100 && !healthy; attempt++) {
      healthy = (await as(ctx, null).get('/healthz')).statusCode === 200;
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(healthy).toBe(true);
    const after = parseFragment((await as(ctx, 'alice').htmx.get('/bookmarks/search?q=kept')).body);
    expect(after.querySelector('.card-title')?.textContent).toBe('Kept through the outage');
    expect((await as(ctx, 'alice').post('/bookmarks', { url: 'https://after.example/', title: 'After', tags: '' })).statusCode).toBe(303);
  });
});

describe('PostgreSQL unreachable at start', () => {
  it('stops the migration step with one clear line naming the server, never the password', async () => {
    const url = 'postgres://someone:hunter2secret@127.0.0.1:1/bookmarks';
    const error = await migrateDatabase({ engine: 'postgres', url }).then(
      () => null,
      (caught: Error) => caught,
    );
    expect(error?.message).toMatch(/^Cannot open PostgreSQL at postgres:\/\/someone@127\.0\.0\.1:1\/bookmarks: ECONNREFUSED/);
    expect(error?.message).not.toContain('hunter2secret');
    // A password may also travel in the query, which node-postgres reads too.
    const inQuery = await migrateDatabase({ engine: 'postgres', url: 'postgres://someone@127.0.0.1:1/bookmarks?password=hunter2secret&sslmode=disable' }).then(
      () => null,
      (caught: Error) => caught,
    );
    expect(inQuery?.message).toMatch(/^Cannot open PostgreSQL at postgres:\/\/someone@127\.0\.0\.1:1\/bookmarks: /);
    expect(inQuery?.message).not.toContain('hunter2secret');
  });
});

/**
 * A server that stops answering without closing anything (a network partition, a host that hangs,
 * a failover that leaves the old connections dangling): statement_timeout is the server's own and
 * cannot fire, so without a limit of the app's a request on a pooled connection waited for ever.
 */
describe('PostgreSQL that stops answering with its connections open', () => {
  let server: PostgresServer;
  let provider: LocalProvider;
  let app: FastifyInstance;
  const ctx = { cookies: {} as Record<string, string> } as { app: FastifyInstance; cookies: Record<string, string> };

  beforeAll(async () => {
    ({ server, provider, app } = await startAppOnOwnServer(ctx, 'Kept through the silence'));
  }, 120_000);

  afterAll(async () => {
    server?.resume();
    await app?.close();
    await provider?.close();
    server?.destroy();
  });

  it('answers 503 once a statement has had its time, and serves again once the server answers', { timeout: 120_000 }, async () => {
    // The pooled connections are open and idle: the next request takes one.
    expect((await as(ctx, 'alice').get('/dashboard')).statusCode).toBe(200);
    server.pause();
    const started = Date.now();
    const outcome = await Promise.race([
      as(ctx, 'alice').get('/dashboard'),
      new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), 60_000)),
    ]);
    server.resume();
    expect(outcome).not.toBe('no answer');
    if (outcome === 'no answer') return;
    expect(outcome.statusCode).toBe(503);
    expect(html(outcome.body).querySelector('h1')?.textContent).toBe('Please try again shortly');
    expect(Date.now() - started).toBeLessThan(45_000);

    let healthy = false;
    for (let attempt = 0; attempt < 100 && !healthy; attempt++) {
      healthy = (await as(ctx, null).get('/healthz')).statusCode === 200;
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(healthy).toBe(true);
    const after = parseFragment((await as(ctx, 'alice').htmx.get('/bookmarks/search?q=kept')).body);
    expect(after.querySelector('.card-title')?.textContent).toBe('Kept through the silence');
  });

  it('fails a transaction whose statement goes unanswered, without waiting for its ROLLBACK, and the next one works', { timeout: 120_000 }, async () => {
    const outcome = await Promise.race([
      app.db
        .transaction(async (tx) => {
          await tx.get(sql`SELECT 1 AS one`);
          server.pause();
          await tx.get(sql`SELECT 2 AS two`);
        })
        .then(
          () => null,
          (error: unknown) => error,
        ),
      new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), 60_000)),
    ]);
    server.resume();
    expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
    expect(await app.db.transaction((tx) => tx.get(sql`SELECT 3 AS three`))).toEqual({ three: 3 });
  });
});
