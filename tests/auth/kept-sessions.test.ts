import { randomBytes } from 'node:crypto';
import secureSession from '@fastify/secure-session';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KEPT_SESSION_COOKIES, keepDecryptedSessions, SESSION_IDLE_SECONDS, sessionCookieOptions } from '../../src/auth/session.js';

/**
 * keepDecryptedSessions (src/auth/session.ts) on @fastify/secure-session itself, registered as
 * the app registers it, with the plugin's decryption counted underneath.
 */
describe('decrypted session cookies, kept by their text', () => {
  let app: FastifyInstance;
  afterEach(async () => {
    vi.useRealTimers();
    await app.close();
  });

  async function sessionsWith(keys: Buffer[]): Promise<{ decryptions: () => number; cookieFor: (data: Record<string, unknown>, key?: Buffer) => Promise<string> }> {
    app = Fastify({ logger: false });
    await app.register(secureSession, sessionCookieOptions(new URL('http://127.0.0.1'), keys));
    await app.after();
    let decryptions = 0;
    const decrypt = app.decodeSecureSession;
    app.decodeSecureSession = (cookie, log, name) => {
      decryptions++;
      return decrypt(cookie, log, name);
    };
    keepDecryptedSessions(app);
    // A cookie as the plugin writes it, with the given key (another instance, for an older key).
    const cookieFor = async (data: Record<string, unknown>, key = keys[0]!): Promise<string> => {
      const writer = Fastify({ logger: false });
      await writer.register(secureSession, sessionCookieOptions(new URL('http://127.0.0.1'), [key]));
      await writer.ready();
      const cookie = writer.encodeSecureSession(writer.createSecureSession(data));
      await writer.close();
      return cookie;
    };
    return { decryptions: () => decryptions, cookieFor };
  }

  it('decrypts a cookie once, and gives every request a session of its own with the same data', async () => {
    const { decryptions, cookieFor } = await sessionsWith([randomBytes(32)]);
    const cookie = await cookieFor({ user: { sub: 'alice', name: 'Alice' }, sessionId: 'one' });
    const first = app.decodeSecureSession(cookie)!;
    const second = app.decodeSecureSession(cookie)!;
    expect(decryptions()).toBe(1);
    expect(second).not.toBe(first);
    expect(second.get('user')).toEqual({ sub: 'alice', name: 'Alice' });
    // One request's changes stay its own, whether its session was decrypted or kept.
    for (const session of [first, second]) {
      session.set('sessionId', 'changed');
      session.regenerate();
      expect(session.get('user')).toBeUndefined();
    }
    const third = app.decodeSecureSession(cookie)!;
    expect(third.get('sessionId')).toBe('one');
    expect(third.get('user')).toEqual({ sub: 'alice', name: 'Alice' });
    expect(third.changed).toBe(false);
    // What is kept is shared, so it cannot be changed in place.
    expect(() => {
      (third.get('user') as { name: string }).name = 'Mallory';
    }).toThrow(TypeError);
  });

  it('keeps nothing that did not decrypt: a forged or damaged cookie is decrypted, and refused, every time', async () => {
    const { decryptions, cookieFor } = await sessionsWith([randomBytes(32)]);
    const forged = await cookieFor({ user: { sub: 'mallory', name: 'Mallory' } }, randomBytes(32));
    expect(app.decodeSecureSession(forged)).toBeNull();
    expect(app.decodeSecureSession(forged)).toBeNull();
    expect(app.decodeSecureSession('not;a cookie')).toBeNull();
    expect(decryptions()).toBe(3);
  });

  it('keeps a cookie only in the form the plugin writes: other texts it accepts for the same session cannot fill the cache', async () => {
    const { decryptions, cookieFor } = await sessionsWith([randomBytes(32)]);
    const cookie = await cookieFor({ user: { sub: 'alice', name: 'Alice' } });
    const [cipher, nonce] = cookie.split(';') as [string, string];
    // The plugin reads only the first two parts, and base64 with its padding left off.
    const variants = [`${cookie};1${'x'.repeat(3000)}`, `${cookie};2${'x'.repeat(3000)}`, `${cipher.replace(/=+$/, '')};${nonce}`];
    for (const variant of [...variants, ...variants]) expect(app.decodeSecureSession(variant)!.get('user')).toEqual({ sub: 'alice', name: 'Alice' });
    expect(decryptions()).toBe(6);
    app.decodeSecureSession(cookie);
    app.decodeSecureSession(cookie);
    expect(decryptions()).toBe(7);
  });

  it('checks the idle expiry at every use of a kept cookie', async () => {
    const { cookieFor } = await sessionsWith([randomBytes(32)]);
    const cookie = await cookieFor({ user: { sub: 'alice', name: 'Alice' } });
    expect(app.decodeSecureSession(cookie)).not.toBeNull();
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + SESSION_IDLE_SECONDS * 1000 + 60_000 });
    expect(app.decodeSecureSession(cookie)).toBeNull();
  });

  it('does not keep a cookie of an older key, so that every use of it is re-issued with the current key', async () => {
    const [current, older] = [randomBytes(32), randomBytes(32)];
    const { decryptions, cookieFor } = await sessionsWith([current, older]);
    const cookie = await cookieFor({ user: { sub: 'alice', name: 'Alice' } }, older);
    expect(app.decodeSecureSession(cookie)!.changed).toBe(true);
    expect(app.decodeSecureSession(cookie)!.changed).toBe(true);
    expect(decryptions()).toBe(2);
  });

  it(`keeps at most ${KEPT_SESSION_COOKIES.toLocaleString('en')} cookies, the oldest going first`, async () => {
    const { decryptions, cookieFor } = await sessionsWith([randomBytes(32)]);
    const template = await cookieFor({ user: { sub: 'first', name: 'First' } });
    const cookies = [template];
    // Each encryption takes a fresh nonce: the same data makes a cookie of other text.
    for (let i = 1; i <= KEPT_SESSION_COOKIES; i++) cookies.push(app.encodeSecureSession(app.createSecureSession({ user: { sub: `user-${i}`, name: 'Someone' } })));
    for (const cookie of cookies) expect(app.decodeSecureSession(cookie)).not.toBeNull();
    expect(decryptions()).toBe(KEPT_SESSION_COOKIES + 1);
    // The newest is still kept; the first went to make room for it.
    app.decodeSecureSession(cookies.at(-1)!);
    expect(decryptions()).toBe(KEPT_SESSION_COOKIES + 1);
    expect(app.decodeSecureSession(cookies[0]!)!.get('user')).toEqual({ sub: 'first', name: 'First' });
    expect(decryptions()).toBe(KEPT_SESSION_COOKIES + 2);
  });
});
