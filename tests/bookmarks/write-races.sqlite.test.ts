import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { migrateDatabase } from '../../src/db/client.js';
import { createTokenViaSettings } from '../api/support.js';
import { as, buildTestApp, newBlankDatabase, parseFragment, signIn, startTestProvider } from '../helpers.js';

/*
 * Races between one user's writes: another process (a raw connection on the same SQLite file, as
 * another worker would be) commits while this process's write waits for the file's write lock, after
 * the request has read the bookmark. (Found in review, 6 December 2026.)
 */
let app: FastifyInstance;
let path: string;
let cookies: Record<string, string>;
let drop: () => Promise<void>;

beforeAll(async () => {
  const provider = await startTestProvider();
  const blank = await newBlankDatabase();
  if (blank.target.engine !== 'sqlite') throw new Error('SQLite only');
  path = blank.target.path;
  await migrateDatabase(blank.target);
  app = await buildTestApp(provider, { database: blank.target });
  cookies = { alice: await signIn(app, 'alice') };
  drop = async () => (await app.close(), await blank.drop(), await provider.close());
});
afterAll(async () => drop());

/** Sends `request` while another connection holds the write lock, then writes `other` there and commits, before the request's own write. */
async function whileAnotherProcessWrites<T>(request: () => Promise<T>, other: (raw: Database.Database) => void): Promise<T> {
  const raw = new Database(path);
  raw.exec('BEGIN IMMEDIATE');
  const pending = request();
  // The request reads the bookmark at once (reads are not blocked in WAL), then waits for the lock.
  await sleep(300);
  other(raw);
  raw.exec('COMMIT');
  raw.close();
  return pending;
}

/** Alice's bookmark added through the add form, by its id. */
async function addedThroughTheForm(url: string, title: string, tags: string): Promise<number> {
  const added = await as({ app, cookies }, 'alice').post('/bookmarks', { url, title, tags });
  expect(added.statusCode).toBe(303);
  return (await app.db.get<{ id: number }>(sql`SELECT id FROM bookmarks WHERE url = ${url}`))!.id;
}

describe('an API PATCH racing another write of the same bookmark', () => {
  it('keeps the other write’s change to a field the PATCH left out', async () => {
    const token = await createTokenViaSettings({ app, cookies }, 'alice');
    const auth = { authorization: `Bearer ${token}` };
    const created = await app.inject({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: { url: 'https://patch.example/', title: 'Old title', tags: ['old'] } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as number;
    const patched = await whileAnotherProcessWrites(
      () => app.inject({ method: 'PATCH', url: `/api/v1/bookmarks/${id}`, headers: auth, payload: { title: 'New title' } }),
      // Another worker's PATCH { tags: ['new'] } committing meanwhile.
      (raw) => raw.prepare(`UPDATE bookmarks SET tags = 'new' WHERE id = ?`).run(id),
    );
    expect(patched.statusCode).toBe(200);
    const now = (await app.inject({ method: 'GET', url: `/api/v1/bookmarks/${id}`, headers: auth })).json();
    // Each PATCH changed only its own field: both changes should stand.
    expect({ title: now.title, tags: now.tags }).toEqual({ title: 'New title', tags: ['new'] });
  });
});

describe('an inline edit racing a delete of the same bookmark', () => {
  it('answers as an edit of an already deleted bookmark does (404, the form kept), not 200 with the old card', async () => {
    const id = await addedThroughTheForm('https://edit-race.example/', 'Before edit', '');
    const put = await whileAnotherProcessWrites(
      () => as({ app, cookies }, 'alice').htmx.put(`/bookmarks/${id}`, { url: 'https://edit-race.example/', title: 'Typed in the edit', description: '', tags: 'typed' }),
      // Deleted in another tab, served by another worker, meanwhile.
      (raw) => raw.prepare('DELETE FROM bookmarks WHERE id = ?').run(id),
    );
    const card = parseFragment(put.body).querySelector('.card-title')?.textContent;
    // What the same edit gets when the delete came first: 404, the form kept with what was typed.
    const afterwards = await as({ app, cookies }, 'alice').htmx.put(`/bookmarks/${id}`, { url: 'https://edit-race.example/', title: 'Typed in the edit', description: '', tags: 'typed' });
    expect(afterwards.statusCode).toBe(404);
    expect({ status: put.statusCode, card }).toEqual({ status: 404, card: undefined });
  });
});

describe('"Update the saved one" racing another write of the same bookmark', () => {
  it('fills the fields the form left empty from the bookmark as stored when the update is written', async () => {
    const id = await addedThroughTheForm('https://update-race.example/', 'Saved title', 'old');
    const updated = await whileAnotherProcessWrites(
      // The duplicate warning's "Update the saved one", with only a description typed.
      () => as({ app, cookies }, 'alice').htmx.post('/bookmarks', { url: 'https://update-race.example/', title: '', description: 'Typed description', tags: '', 'update-duplicate': String(id) }),
      // An edit in another tab, served by another worker, meanwhile.
      (raw) => raw.prepare(`UPDATE bookmarks SET title = 'Renamed elsewhere', tags = 'new' WHERE id = ?`).run(id),
    );
    expect(updated.statusCode).toBe(200);
    const now = await app.db.get<{ title: string; tags: string; description: string }>(sql`SELECT title, tags, description FROM bookmarks WHERE id = ${id}`);
    // The form changed only the description: the other tab's title and tags should stand.
    expect(now).toEqual({ title: 'Renamed elsewhere', tags: 'new', description: 'Typed description' });
  });
});
