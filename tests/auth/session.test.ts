import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import type { LocalProvider } from '../../src/dev/oidc-provider.js';
import { SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS } from '../../src/auth/session.js';
import { checkSession, endSession } from '../../src/auth/ended-sessions.js';
import { loadConfig } from '../../src/config.js';
import { buildTestApp, sessionCookieFrom, setupBookmark, signIn, startTestProvider } from '../helpers.js';
import { ownerVersion } from '../../src/bookmarks/queries.js';

let provider: LocalProvider;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => provider.close());
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function appWith(overrides: Parameters<typeof buildTestApp>[1] = {}): Promise<FastifyInstance> {
  const app = await buildTestApp(provider, overrides);
  apps.push(app);
  return app;
}

const DAY = 24 * 3600 * 1000;
const dashboard = (app: FastifyInstance, cookie: string) => app.inject({ method: 'GET', url: '/dashboard', headers: { cookie } });

describe('session lifetime', () => {
  it('ends a session left idle longer than SESSION_IDLE_SECONDS (7 days)', async () => {
    const app = await appWith();
    const cookie = await signIn(app, 'alice');
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + SESSION_IDLE_SECONDS * 1000 + 60_000 });
    const response = await dashboard(app, cookie);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
  });

  it('slides the idle expiry: a session used within 7 days is re-issued and lives on', async () => {
    const app = await appWith();
    let cookie = await signIn(app, 'alice');
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    for (let day = 6; day <= 24; day += 6) {
      vi.setSystemTime(start + day * DAY);
      const response = await dashboard(app, cookie);
      expect(response.statusCode, `day ${day}`).toBe(200);
      const reissued = sessionCookieFrom(response);
      expect(reissued, `day ${day}: cookie re-issued`).toBeDefined();
      const maxAge = response.cookies.find((c) => c.name === 'session')!.maxAge;
      expect(maxAge).toBe(SESSION_IDLE_SECONDS);
      cookie = reissued!;
    }
  });

  it('does not re-issue the cookie on every request (at most hourly)', async () => {
    const app = await appWith();
    const cookie = await signIn(app, 'alice');
    const response = await dashboard(app, cookie);
    expect(response.statusCode).toBe(200);
    expect(sessionCookieFrom(response)).toBeUndefined();
  });

  it('ends any session SESSION_ABSOLUTE_SECONDS (30 days) after sign-in, however active, and empties the cookie', async () => {
    const app = await appWith();
    let cookie = await signIn(app, 'alice');
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    for (let day = 6; day <= 30; day += 6) {
      vi.setSystemTime(start + day * DAY - 60_000);
      const response = await dashboard(app, cookie);
      expect(response.statusCode, `day ${day}`).toBe(200);
      cookie = sessionCookieFrom(response) ?? cookie;
    }
    vi.setSystemTime(start + SESSION_ABSOLUTE_SECONDS * 1000 + 1000);
    const response = await dashboard(app, cookie);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    // Emptied rather than deleted, so a sign-in started by this same request can still be written.
    const emptied = sessionCookieFrom(response)!;
    expect(app.decodeSecureSession(decodeURIComponent(emptied.slice('session='.length)))!.get('user')).toBeUndefined();
    expect((await dashboard(app, emptied)).statusCode).toBe(303);
  });

  it('a refused cookie does not stop a new sign-in begun with it', async () => {
    const app = await appWith();
    const fields = { user: { sub: 'alice', name: 'alice' }, signedInAt: Math.floor(Date.now() / 1000) };
    const withoutId = `session=${encodeURIComponent(app.encodeSecureSession(app.createSecureSession(fields)))}`;
    const login = await app.inject({ method: 'GET', url: '/auth/login', headers: { cookie: withoutId } });
    expect(login.statusCode).toBe(302);
    const pending = sessionCookieFrom(login)!;
    expect(app.decodeSecureSession(decodeURIComponent(pending.slice('session='.length)))!.get('login')).toEqual(expect.objectContaining({ state: expect.any(String) }));
  });

  it('refuses a crafted session whose signedInAt is older than the absolute cap, even with a fresh idle stamp', async () => {
    const app = await appWith();
    const session = app.createSecureSession({
      user: { sub: 'alice', name: 'alice' },
      signedInAt: Math.floor(Date.now() / 1000) - SESSION_ABSOLUTE_SECONDS - 10,
      sessionId: 'crafted',
    });
    const cookie = `session=${encodeURIComponent(app.encodeSecureSession(session))}`;
    expect((await dashboard(app, cookie)).statusCode).toBe(303);
  });

  it('refuses a signed-in session without a session id (one that sign-out could not end)', async () => {
    const app = await appWith();
    const fields = { user: { sub: 'alice', name: 'alice' }, signedInAt: Math.floor(Date.now() / 1000) };
    const withId = `session=${encodeURIComponent(app.encodeSecureSession(app.createSecureSession({ ...fields, sessionId: 'crafted' })))}`;
    const withoutId = `session=${encodeURIComponent(app.encodeSecureSession(app.createSecureSession(fields)))}`;
    expect((await dashboard(app, withId)).statusCode).toBe(200);
    expect((await dashboard(app, withoutId)).statusCode).toBe(303);
  });

  it('keeps ended session ids only until their cookies would have expired anyway', async () => {
    const app = await appWith();
    const now = Math.floor(Date.now() / 1000);
    await endSession(app.db, 'long-expired', now - 10, now);
    await endSession(app.db, 'still-valid', now + 100, now);
    expect((await checkSession(app.db, 'still-valid', 'alice')).ended).toBe(true);
    expect((await checkSession(app.db, 'long-expired', 'alice')).ended).toBe(false);
    const kept = await app.db.all<{ sessionId: string }>(sql`SELECT session_id AS "sessionId" FROM ended_sessions`);
    expect(kept.map((row) => row.sessionId)).toEqual(['still-valid']);
  });

  it('reads the user’s data version with the check, as ownerVersion does: 0 before their first write, then moved by every write', async () => {
    const app = await appWith();
    expect(await checkSession(app.db, 'current', 'alice')).toEqual({ ended: false, ownerVersion: 0 });
    await setupBookmark(app.db, 'alice', { url: 'https://versioned.example/' });
    const afterOne = await checkSession(app.db, 'current', 'alice');
    expect(afterOne).toEqual({ ended: false, ownerVersion: await ownerVersion(app.db, 'alice') });
    expect(afterOne.ownerVersion).toBeGreaterThan(0);
    await setupBookmark(app.db, 'bob', { url: 'https://versioned.example/' });
    expect((await checkSession(app.db, 'current', 'alice')).ownerVersion).toBe(afterOne.ownerVersion);
    await setupBookmark(app.db, 'alice', { url: 'https://versioned.example/2' });
    expect((await checkSession(app.db, 'current', 'alice')).ownerVersion).toBeGreaterThan(afterOne.ownerVersion);
    await endSession(app.db, 'current', Math.floor(Date.now() / 1000) + 100);
    expect((await checkSession(app.db, 'current', 'alice')).ended).toBe(true);
  });

  it('deletes the expired ids at every sign-out through an index, not a scan of every id kept', async () => {
    const app = await appWith();
    const purge = 'DELETE FROM ended_sessions WHERE expires_at < 1800000000';
    const plan =
      app.db.engine === 'sqlite'
        ? (await app.db.all<{ detail: string }>(sql.raw(`EXPLAIN QUERY PLAN ${purge}`))).map((row) => row.detail)
        : await app.db.transaction(async (tx) => {
            // Told to avoid scans, the planner takes an index whenever there is one to take.
            await tx.run(sql`SET LOCAL enable_seqscan = off`);
            return (await tx.all<{ 'QUERY PLAN': string }>(sql.raw(`EXPLAIN ${purge}`))).map((row) => row['QUERY PLAN']);
          });
    expect(plan.join('\n')).toMatch(/ended_sessions_expires_idx/);
  });
});

describe('SESSION_SECRET rotation', () => {
  it('config puts SESSION_SECRET first and SESSION_SECRET_PREVIOUS second', () => {
    const current = randomBytes(32);
    const previous = randomBytes(32);
    const config = loadConfig({ SESSION_SECRET: current.toString('hex'), SESSION_SECRET_PREVIOUS: previous.toString('base64') });
    expect(config.sessionKeys).toEqual([current, previous]);
  });

  it('accepts a cookie made with the previous key and re-issues it with the new one', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = await appWith({ sessionKeys: [oldKey] });
    const oldCookie = await signIn(before, 'alice');

    const rotating = await appWith({ sessionKeys: [newKey, oldKey] });
    const response = await dashboard(rotating, oldCookie);
    expect(response.statusCode).toBe(200);
    const reissued = sessionCookieFrom(response);
    expect(reissued).toBeDefined();
    expect(reissued).not.toBe(oldCookie);

    // Once the previous key is dropped, only the re-issued cookie still works.
    const after = await appWith({ sessionKeys: [newKey] });
    expect((await dashboard(after, reissued!)).statusCode).toBe(200);
    expect((await dashboard(after, oldCookie)).statusCode).toBe(303);
  });

  it('signs everyone out when the key changes without SESSION_SECRET_PREVIOUS', async () => {
    const before = await appWith({ sessionKeys: [randomBytes(32)] });
    const cookie = await signIn(before, 'alice');
    const after = await appWith({ sessionKeys: [randomBytes(32)] });
    expect((await dashboard(after, cookie)).statusCode).toBe(303);
  });
});

describe('session cookie attributes', () => {
  it('HttpOnly, SameSite=Lax, Path=/, Max-Age = idle timeout, and Secure with the __Host- prefix when the app is served over https', async () => {
    const app = await appWith({ appBaseUrl: new URL('https://bookmarks.example') });
    const login = await app.inject({ method: 'GET', url: '/auth/login' });
    expect(login.cookies.map((c) => c.name)).toEqual(['__Host-session']);
    const cookie = login.cookies[0]!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.secure).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.path).toBe('/');
    expect(cookie.domain).toBeUndefined();
    expect(cookie.maxAge).toBe(SESSION_IDLE_SECONDS);
    // The session is read from that name only: the same value under the plain name is ignored.
    const session = app.createSecureSession({ user: { sub: 'alice', name: 'Alice' }, signedInAt: Math.floor(Date.now() / 1000), sessionId: 'https-test' });
    const value = encodeURIComponent(app.encodeSecureSession(session));
    expect((await dashboard(app, `__Host-session=${value}`)).statusCode).toBe(200);
    expect((await dashboard(app, `session=${value}`)).statusCode).toBe(303);
  });

  it('keeps the plain name over http, where browsers refuse __Host- cookies (local development)', async () => {
    const app = await appWith();
    const login = await app.inject({ method: 'GET', url: '/auth/login' });
    expect(login.cookies.map((c) => [c.name, c.secure ?? false])).toEqual([['session', false]]);
  });

  it('keeps only the profile in the cookie, never tokens', async () => {
    const app = await appWith();
    const cookie = await signIn(app, 'alice');
    const data = app.decodeSecureSession(decodeURIComponent(cookie.slice('session='.length)))!.data();
    expect(Object.keys(data!).sort()).toEqual(['sessionId', 'signedInAt', 'user']);
    expect(JSON.stringify(data)).not.toMatch(/eyJ|access_token|id_token|refresh_token/);
  });
});
