import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { authenticateToken, recordTokenUse, createToken, hashSecret, listTokens, MAX_TOKENS_PER_USER, revokeToken, TooManyTokensError } from '../../src/tokens/tokens.js';
import { as, html, parseFragment, useSignedInApp } from '../helpers.js';
import { createTokenViaSettings, expectProblem } from './support.js';

const ctx = useSignedInApp();

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** An API client's request with a token and nothing else. */
const withToken = (url: string, token: string) => ctx.app.inject({ method: 'GET', url, headers: bearer(token) });

describe('token functions', () => {
  it('stores only the SHA-256 of a long, prefixed secret', async () => {
    const { token, secret } = await createToken(ctx.app.db, 'alice', 'cli');
    expect(secret).toMatch(/^bm_[A-Za-z0-9_-]{43}$/);
    const row = (await ctx.app.db.get<Record<string, unknown>>(sql`SELECT * FROM api_tokens WHERE id = ${token.id}`))!;
    expect(row.token_hash).toBe(hashSecret(secret));
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(token).not.toHaveProperty('tokenHash');
  });

  it('authenticates live tokens only, and records use at most once a minute', async () => {
    const db = ctx.app.db;
    const now = new Date('2026-01-01T00:00:00Z');
    const { token, secret } = await createToken(db, 'alice', 'cli', null, now);
    /** As the API does: authenticate (a read), then record the use (a write, once the answer has gone). */
    const use = async (at: Date) => {
      const owner = (await authenticateToken(db, secret, at))!;
      await recordTokenUse(db, owner, at);
      return owner;
    };
    expect(await use(now)).toMatchObject({ id: token.id, ownerSub: 'alice', lastUsedAt: null });
    expect((await listTokens(db, 'alice'))[0]!.lastUsedAt).toEqual(now);
    expect(await use(new Date(now.getTime() + 30_000))).toMatchObject({ lastUsedAt: now.getTime() });
    expect((await listTokens(db, 'alice'))[0]!.lastUsedAt).toEqual(now);
    const later = new Date(now.getTime() + 61_000);
    await use(later);
    expect((await listTokens(db, 'alice'))[0]!.lastUsedAt).toEqual(later);
    // Authenticating alone writes nothing.
    await authenticateToken(db, secret, new Date(later.getTime() + 120_000));
    expect((await listTokens(db, 'alice'))[0]!.lastUsedAt).toEqual(later);

    const expiring = await createToken(db, 'alice', 'short', new Date(now.getTime() + 1000), now);
    expect(await authenticateToken(db, expiring.secret, now)).not.toBeNull();
    expect(await authenticateToken(db, expiring.secret, new Date(now.getTime() + 1000))).toBeNull();

    expect(await revokeToken(db, 'bob', token.id)).toBe(false);
    expect(await revokeToken(db, 'alice', token.id)).toBe(true);
    expect(await authenticateToken(db, secret, later)).toBeNull();
    expect(await authenticateToken(db, 'bm_' + 'A'.repeat(43))).toBeNull();
    expect(await authenticateToken(db, 'nonsense')).toBeNull();
  });
});

describe('settings page', () => {
  it('needs a signed-in user', async () => {
    const page = await as(ctx, null).get('/settings');
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/auth/login?returnTo=%2Fsettings');
    const fragment = await as(ctx, null).htmx.post('/settings/tokens', { name: 'x' });
    expect(fragment.statusCode).toBe(401);
  });

  it('is linked from the header and starts with no tokens', async () => {
    const dashboard = html((await as(ctx, 'alice').get('/dashboard')).body);
    expect(dashboard.querySelector('.account a[href="/settings"]')?.textContent).toContain('Settings');
    const page = await as(ctx, 'alice').get('/settings');
    expect(page.statusCode).toBe(200);
    const doc = html(page.body);
    expect(doc.querySelector('#tokens-heading')?.textContent).toContain('API tokens');
    expect(doc.querySelector('form[action="/settings/tokens"][method="post"][hx-post="/settings/tokens"]')).not.toBeNull();
    expect(doc.querySelector('.token-empty')?.textContent).toContain('No tokens yet');
  });

  it('creates a token as a plain form post and shows the secret once, uncached', async () => {
    const response = await as(ctx, 'alice').post('/settings/tokens', { name: 'Laptop script', expiry: '30' });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const doc = html(response.body);
    expect(doc.querySelector('html')).not.toBeNull();
    const secret = doc.querySelector('#new-token')!.getAttribute('value')!;
    expect(secret).toMatch(/^bm_/);
    const rows = doc.querySelectorAll('.token-row');
    expect(rows.length).toBe(1);
    expect(rows[0]!.querySelector('.token-name')?.textContent).toBe('Laptop script');
    expect(rows[0]!.textContent).toContain('never used');
    expect(rows[0]!.textContent).toContain('expires');

    const again = await as(ctx, 'alice').get('/settings');
    expect(again.body).not.toContain(secret);
    expect(html(again.body).querySelector('#new-token')).toBeNull();
  });

  it('creates a token through htmx and answers with the panel only', async () => {
    const response = await as(ctx, 'alice').htmx.post('/settings/tokens', { name: 'extension' });
    expect(response.statusCode).toBe(201);
    expect(response.headers.vary).toContain('HX-Request');
    const doc = parseFragment(response.body);
    expect(doc.querySelector('html body main')).toBeNull();
    const panel = doc.querySelector('#token-panel')!;
    expect(panel.getAttribute('hx-target')).toBe('this');
    expect(panel.querySelector('#new-token')?.getAttribute('value')).toMatch(/^bm_/);
    expect(panel.querySelector('.token-name')?.textContent).toBe('extension');
    // The field takes the focus: a screen reader reads, with it, that this is the one chance to copy it.
    const secret = panel.querySelector('#new-token')!;
    expect(secret.hasAttribute('autofocus')).toBe(true);
    expect(panel.querySelector(`#${secret.getAttribute('aria-describedby')}`)?.textContent).toBe('Token “extension” created. Copy it now: it will not be shown again.');
  });

  it('keeps a name whose joiners and variation selectors are part of what it shows', async () => {
    const response = await as(ctx, 'alice').htmx.post('/settings/tokens', { name: 'laptop \u{1F468}\u200d\u{1F4BB}' });
    expect(response.statusCode).toBe(201);
    expect((await listTokens(ctx.app.db, 'alice')).map((token) => token.name)).toEqual(['laptop \u{1F468}\u200d\u{1F4BB}']);
  });

  it('stores the name without control or invisible characters, as titles are stored', async () => {
    const response = await as(ctx, 'alice').htmx.post('/settings/tokens', { name: ' deploy\u0000bot\u202e\u200b ' });
    expect(response.statusCode).toBe(201);
    expect((await listTokens(ctx.app.db, 'alice')).map((token) => token.name)).toEqual(['deploy bot']);
  });

  it.each([
    ['', 'Give the token a name'],
    ['   ', 'Give the token a name'],
    ['\u0000\u200b\t', 'Give the token a name'],
    // Kept in text, as emoji need them, but alone they show nothing: a token listed with a blank name.
    ['\u200d', 'Give the token a name'],
    ['\ufe0f\u200d\u0301 ', 'Give the token a name'],
    ['x'.repeat(101), 'at most 100 characters'],
  ])('refuses the name %j with 422, with and without htmx', async (name, message) => {
    for (const requests of [as(ctx, 'alice'), as(ctx, 'alice').htmx]) {
      const response = await requests.post('/settings/tokens', { name });
      expect(response.statusCode).toBe(422);
      const doc = html(response.body);
      expect(doc.querySelector('#token-name-error')?.textContent).toContain(message);
      expect(doc.querySelector('#token-name')?.getAttribute('aria-invalid')).toBe('true');
      expect(doc.querySelector('#new-token')).toBeNull();
    }
    expect(await listTokens(ctx.app.db, 'alice')).toEqual([]);
  });

  it.each(['7', 'forever', '__proto__', 'toString'])('refuses the expiry choice %j with 422 next to the field, creating nothing', async (expiry) => {
    for (const requests of [as(ctx, 'alice'), as(ctx, 'alice').htmx]) {
      const response = await requests.post('/settings/tokens', { name: 'script', expiry });
      expect(response.statusCode).toBe(422);
      const doc = html(response.body);
      expect(doc.querySelector('#token-expiry-error')?.textContent).toContain('Choose one of the offered expiry periods');
      expect(doc.querySelector('#token-expiry')?.getAttribute('aria-invalid')).toBe('true');
      expect((doc.querySelector('#token-name') as HTMLInputElement | null)?.getAttribute('value')).toBe('script');
      expect(doc.querySelector('#new-token')).toBeNull();
    }
    expect(await listTokens(ctx.app.db, 'alice')).toEqual([]);
  });

  it('shows when each token expires, and which have expired', async () => {
    const now = Date.now();
    expect((await as(ctx, 'alice').post('/settings/tokens', { name: 'month', expiry: '30' })).statusCode).toBe(201);
    await createToken(ctx.app.db, 'alice', 'old', new Date(now - 3600 * 1000));
    const doc = html((await as(ctx, 'alice').get('/settings')).body);
    const row = (name: string) => [...doc.querySelectorAll('.token-row')].find((r) => r.querySelector('.token-name')?.textContent === name)!;
    const monthExpiry = Date.parse(row('month').querySelectorAll('time')[1]!.getAttribute('datetime')!);
    expect(Math.abs(monthExpiry - (now + 30 * 24 * 3600 * 1000))).toBeLessThan(60_000);
    expect(row('month').textContent).toMatch(/expires\s/);
    expect(row('old').textContent).toMatch(/expired\s/);
    expect(row('old').textContent).not.toMatch(/expires\s/);
  });

  it('escapes the token name everywhere it appears', async () => {
    const name = '<img src=x onerror=alert(1)>"\'';
    await createTokenViaSettings(ctx, 'alice', name);
    const page = await as(ctx, 'alice').get('/settings');
    expect(page.body).not.toContain('<img src=x');
    const row = html(page.body).querySelector('.token-row')!;
    expect(row.querySelector('.token-name')?.textContent).toBe(name);
    // User data never goes into hx-* attributes: the confirm text is generic.
    for (const element of row.querySelectorAll('*')) {
      for (const attribute of element.attributes) if (attribute.name.startsWith('hx-')) expect(attribute.value).not.toContain(name);
    }
    expect(row.querySelector('form')?.getAttribute('hx-confirm')).toBe('Revoke this token? Anything using it stops working at once.');
  });

  it('keeps at most MAX_TOKENS_PER_USER per account, expired ones included: one more is refused next to the name, creating nothing, until one is revoked', async () => {
    await createToken(ctx.app.db, 'alice', 'expired', new Date(Date.now() - 1000));
    for (let i = 1; i < MAX_TOKENS_PER_USER; i++) await createToken(ctx.app.db, 'alice', `script ${i}`);
    await expect(createToken(ctx.app.db, 'alice', 'one more')).rejects.toBeInstanceOf(TooManyTokensError);
    for (const requests of [as(ctx, 'alice'), as(ctx, 'alice').htmx]) {
      const response = await requests.post('/settings/tokens', { name: 'one more', expiry: '30' });
      expect(response.statusCode).toBe(422);
      const doc = html(response.body);
      expect(doc.querySelector('#token-name-error')?.textContent).toContain(`You have ${MAX_TOKENS_PER_USER} tokens`);
      expect(doc.querySelector('#token-name')?.getAttribute('value')).toBe('one more');
      expect(doc.querySelector('#new-token')).toBeNull();
    }
    expect(await listTokens(ctx.app.db, 'alice')).toHaveLength(MAX_TOKENS_PER_USER);
    // Another account has its own room.
    expect((await as(ctx, 'bob').post('/settings/tokens', { name: 'bob script' })).statusCode).toBe(201);

    const expired = (await listTokens(ctx.app.db, 'alice')).find((token) => token.name === 'expired')!;
    expect(await revokeToken(ctx.app.db, 'alice', expired.id)).toBe(true);
    expect((await as(ctx, 'alice').post('/settings/tokens', { name: 'one more' })).statusCode).toBe(201);
  });

  it('creations at the same moment stop at MAX_TOKENS_PER_USER all the same', async () => {
    for (let i = 2; i < MAX_TOKENS_PER_USER; i++) await createToken(ctx.app.db, 'alice', `script ${i}`);
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => createToken(ctx.app.db, 'alice', `at once ${i}`)));
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(2);
    expect(attempts.filter((attempt) => attempt.status === 'rejected').map((attempt) => (attempt as PromiseRejectedResult).reason)).toEqual(
      Array.from({ length: 8 }, () => expect.any(TooManyTokensError)),
    );
    expect(await listTokens(ctx.app.db, 'alice')).toHaveLength(MAX_TOKENS_PER_USER);
  });

  it('refuses a cross-site token creation', async () => {
    const response = await as(ctx, 'alice').post('/settings/tokens', { name: 'evil' }, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(response.statusCode).toBe(403);
    expect(await listTokens(ctx.app.db, 'alice')).toEqual([]);
  });
});

describe('token lifecycle', () => {
  it('create, use, last used shown, revoke through htmx, and the next request is refused', async () => {
    const token = await createTokenViaSettings(ctx, 'alice', 'cli');

    const first = await withToken('/api/v1/bookmarks', token);
    expect(first.statusCode).toBe(200);
    // Recorded once the answer has gone.
    await expect.poll(async () => (await listTokens(ctx.app.db, 'alice'))[0]!.lastUsedAt).toBeInstanceOf(Date);
    const [stored] = await listTokens(ctx.app.db, 'alice');

    const page = html((await as(ctx, 'alice').get('/settings')).body);
    const row = page.querySelector(`#token-${stored!.id}`)!;
    expect(row.textContent).toContain('last used');
    expect(row.querySelector('time:nth-of-type(2)')?.getAttribute('datetime')).toBe(stored!.lastUsedAt!.toISOString());
    expect(row.querySelector(`form[action="/settings/tokens/${stored!.id}/delete"]`)?.getAttribute('hx-delete')).toBe(`/settings/tokens/${stored!.id}`);

    const revoke = await as(ctx, 'alice').htmx.delete(`/settings/tokens/${stored!.id}`);
    expect(revoke.statusCode).toBe(200);
    const list = parseFragment(revoke.body).querySelector('#token-list')!;
    expect(list.querySelector('.token-empty')).not.toBeNull();
    expect(list.querySelector('.token-row')).toBeNull();

    const reuse = await withToken('/api/v1/bookmarks', token);
    const problem = expectProblem(reuse, 401);
    expect(problem.detail).toContain('revoked');
    expect(reuse.headers['www-authenticate']).toBe('Bearer realm="bookmarks", error="invalid_token"');
  });

  it('revokes with a plain form post and redirects back to settings', async () => {
    const token = await createTokenViaSettings(ctx, 'alice');
    const [stored] = await listTokens(ctx.app.db, 'alice');
    const response = await as(ctx, 'alice').post(`/settings/tokens/${stored!.id}/delete`);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/settings');
    expectProblem(await withToken('/api/v1/tags', token), 401);
  });

  it('takes away, saying why, the row of a token already revoked in another tab, rather than refusing its Revoke over and over', async () => {
    await createTokenViaSettings(ctx, 'alice');
    const [stored] = await listTokens(ctx.app.db, 'alice');
    expect((await as(ctx, 'alice').htmx.delete(`/settings/tokens/${stored!.id}`)).statusCode).toBe(200);
    const stale = await as(ctx, 'alice').htmx.delete(`/settings/tokens/${stored!.id}`);
    expect(stale.statusCode).toBe(404);
    const notice = parseFragment(stale.body);
    expect(notice.querySelector(`#token-${stored!.id}`)?.getAttribute('hx-swap-oob')).toBe('delete');
    expect(notice.querySelector('.toast')?.textContent).toContain('revoked, perhaps in another tab');
  });

  it("cannot revoke another user's token: 404, and the token keeps working", async () => {
    const token = await createTokenViaSettings(ctx, 'alice');
    const [stored] = await listTokens(ctx.app.db, 'alice');
    const bob = as(ctx, 'bob');
    for (const attempt of [
      () => bob.htmx.delete(`/settings/tokens/${stored!.id}`),
      () => bob.post(`/settings/tokens/${stored!.id}/delete`),
      () => bob.post('/settings/tokens/abc/delete'),
    ]) {
      expect((await attempt()).statusCode).toBe(404);
    }
    const bobsPage = await bob.get('/settings');
    expect(html(bobsPage.body).querySelector('.token-row')).toBeNull();
    expect((await withToken('/api/v1/bookmarks', token)).statusCode).toBe(200);
  });

  it('is not accepted on the HTML routes', async () => {
    const { secret } = await createToken(ctx.app.db, 'alice', 'cli');
    for (const url of ['/dashboard', '/settings', '/export']) {
      const response = await withToken(url, secret);
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe(url === '/settings' ? '/auth/login?returnTo=%2Fsettings' : '/');
    }
  });
});
