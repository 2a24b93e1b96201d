import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHTML } from 'linkedom';
import { send, signInAcross, startDeployment, type Answer, type Deployment } from './deployment.js';

/**
 * No state that matters lives in one process: sessions, sign-outs, undo and
 * rate limits hold across three app processes on one database, and killing one
 * loses nothing that was acknowledged. The same journey on PostgreSQL (three
 * replicas) and on SQLite (one host, WEB_CONCURRENCY=3).
 */
const FORM = { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' };
const HTMX = { 'hx-request': 'true', 'sec-fetch-site': 'same-origin' };
let probes = 0;
const probe = (): string => `${process.pid}-${++probes}`;
const withProbe = (path: string, marker: string): string => `${path}${path.includes('?') ? '&' : '?'}probe=${marker}`;

describe.each(['postgres', 'sqlite'] as const)('three app processes on one %s database', (engine) => {
  let deployment: Deployment;
  let turn = 0;

  /** Sends to the next replica in turn; returns the answer and the pid that served it. */
  async function next(path: string, method = 'GET', headers: Record<string, string> = {}, body?: string): Promise<Answer & { pid: number }> {
    const marker = probe();
    const answer = await send(`${deployment.replica(turn++)}${withProbe(path, marker)}`, method, headers, body);
    return { ...answer, pid: await deployment.servedBy(marker) };
  }

  beforeAll(async () => {
    deployment = await startDeployment(engine);
  }, 240_000);
  afterAll(async () => deployment?.close(), 60_000);

  it('a sign-in begun on one process and finished on another gives a cookie that every process accepts', async () => {
    const cookie = await signInAcross(deployment, 'alice');
    const servers = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const page = await next('/dashboard', 'GET', { cookie });
      expect(page.status).toBe(200);
      expect(parseHTML(page.body).document.querySelector('.greeting')?.textContent).toBe('Hello, alice');
      servers.add(page.pid);
    }
    expect(servers.size).toBe(3);
  });

  it('a bookmark added on one process is found by live search on another, and an Undo on a third restores its delete', async () => {
    const cookie = await signInAcross(deployment, 'bea');
    const add = await next('/bookmarks', 'POST', { ...FORM, cookie }, new URLSearchParams({ url: 'https://replicated.example/', title: 'Replicated everywhere', tags: 'shared' }).toString());
    expect(add.status).toBe(303);
    const search = await next('/bookmarks/search?q=replic', 'GET', { ...HTMX, cookie });
    expect(search.pid).not.toBe(add.pid);
    const card = parseHTML(`<div>${search.body}</div>`).document.querySelector('.card')!;
    expect(card.querySelector('.card-title')?.textContent).toBe('Replicated everywhere');

    const deleted = await next(`/bookmarks/${card.id.replace('bookmark-', '')}/delete`, 'POST', { ...FORM, cookie });
    expect(deleted.status).toBe(303);
    const token = new URL(String(deleted.headers.location), deployment.appBaseUrl).searchParams.get('undo')!;
    expect((await next('/bookmarks/search?q=replic', 'GET', { ...HTMX, cookie })).body).not.toContain('Replicated everywhere');
    const undo = await next('/bookmarks/restore', 'POST', { ...FORM, cookie }, new URLSearchParams({ token }).toString());
    expect(undo.pid).not.toBe(deleted.pid);
    expect(undo.status).toBe(303);
    expect((await next('/bookmarks/search?q=replic', 'GET', { ...HTMX, cookie })).body).toContain('Replicated everywhere');
  });

  it('after a sign-out on one process, the old cookie is refused by all three', async () => {
    const cookie = await signInAcross(deployment, 'carl');
    expect((await next('/dashboard', 'GET', { cookie })).status).toBe(200);
    // /auth/ URLs are logged without their query, so this one carries no probe.
    const signOut = await send(`${deployment.replica(turn++)}/auth/logout`, 'POST', { ...FORM, cookie });
    expect(signOut.status).toBe(303);
    const refusedBy = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const page = await next('/dashboard', 'GET', { cookie });
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/');
      refusedBy.add(page.pid);
    }
    expect(refusedBy.size).toBe(3);
  });

  it('counts one user\'s writes once across all processes: 300 a minute in all, not 300 each', async () => {
    const cookie = await signInAcross(deployment, 'dora');
    const statuses: number[] = [];
    for (let batch = 0; batch < 30; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          next('/bookmarks', 'POST', { ...FORM, cookie }, new URLSearchParams({ url: `https://limit.example/${batch}/${i}`, title: '', tags: '' }).toString()),
        ),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(statuses.filter((status) => status === 303)).toHaveLength(300);
    const refused = await Promise.all([0, 1, 2].map(() => next('/bookmarks', 'POST', { ...FORM, cookie }, new URLSearchParams({ url: 'https://limit.example/over', title: '', tags: '' }).toString())));
    expect(refused.map((answer) => answer.status)).toEqual([429, 429, 429]);
    expect(new Set(refused.map((answer) => answer.pid)).size).toBe(3);
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('20 users write at once while one process is killed with SIGKILL: the rest keep answering and every acknowledged write is there exactly once', async () => {
    const users = Array.from({ length: 20 }, (_, i) => `writer${i}`);
    const cookies = new Map<string, string>();
    for (const user of users) cookies.set(user, await signInAcross(deployment, user, cookies.size));
    const acknowledged = new Map<string, Set<string>>(users.map((user) => [user, new Set()]));
    const WRITES_EACH = 25;
    let killed = false;
    let answeredAfterKill = 0;
    let serverErrors = 0;

    await Promise.all(
      users.map(async (user, index) => {
        for (let n = 0; n < WRITES_EACH; n++) {
          const url = `https://${user}.example/${n}`;
          if (index === 0 && n === 8 && !killed) {
            killed = true;
            await deployment.killOne();
          }
          // A write that failed in flight may have been stored: trying again answers 409 (already saved), which counts as stored.
          for (let attempt = 0; attempt < 12; attempt++) {
            let answer: Answer;
            try {
              answer = await next('/bookmarks', 'POST', { ...FORM, cookie: cookies.get(user)! }, new URLSearchParams({ url, title: `${user} ${n}`, tags: user }).toString());
            } catch {
              continue;
            }
            if (killed) answeredAfterKill++;
            if (answer.status >= 500) serverErrors++;
            if (answer.status === 303 || answer.status === 409) {
              acknowledged.get(user)!.add(url);
              break;
            }
          }
        }
      }),
    );
    expect(killed).toBe(true);
    expect(answeredAfterKill).toBeGreaterThan(100);
    expect(serverErrors).toBe(0);

    for (const user of users) {
      const exported = await send(`${deployment.replica(0)}/export`, 'GET', { cookie: cookies.get(user)! });
      expect(exported.status).toBe(200);
      const hrefs = [...parseHTML(exported.body).document.querySelectorAll('a')].map((a) => a.getAttribute('HREF') ?? a.getAttribute('href'));
      expect(hrefs.filter((href) => !href?.startsWith(`https://${user}.example/`))).toEqual([]);
      expect(hrefs).toHaveLength(new Set(hrefs).size);
      expect(new Set(hrefs)).toEqual(acknowledged.get(user));
      expect(acknowledged.get(user)!.size).toBe(WRITES_EACH);
    }
  });
});
