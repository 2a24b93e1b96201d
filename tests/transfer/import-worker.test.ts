import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../src/app.js';
import type { LocalProvider } from '../../src/dev/oidc-provider.js';
import { generateExport } from '../../bench/export-file.js';
import { DEFAULT_IMPORT_BUDGET, ImportReader } from '../../src/transfer/import-reader.js';
import { CANDIDATES_PER_MESSAGE } from '../../src/transfer/import-file.js';
import { html, HTMX, importFile, ownedBookmarks, providerSettings, SAME_ORIGIN, signIn, startTestProvider, testConfig, useSignedInApp } from '../helpers.js';

/** Realistic browser exports: about 5 MB (10,000 bookmarks with icons, folders, TAGS) and a small one. */
const LARGE_EXPORT = generateExport(10_000);
const SMALL_EXPORT = generateExport(20);

/** 20 MB of bare bookmarks, about 225,000: as many as a real export fits in the upload limit. */
function bareExport(bytes = 20 * 1024 * 1024 - 1024): string {
  const lines = ['<!DOCTYPE NETSCAPE-Bookmark-file-1>', '<DL><p>'];
  for (let i = 0, length = 0; length < bytes - 100; i++) {
    const line = `<DT><A HREF="https://site${i % 900}.example/page/${i}" ADD_DATE="${1_600_000_000 + i}">Page ${i} topic</A>`;
    lines.push(line);
    length += line.length + 1;
  }
  lines.push('</DL><p>');
  return lines.join('\n');
}

function upload(app: FastifyInstance, content: string, cookie: string, headers: Record<string, string>) {
  const file = importFile(content);
  return app.inject({ method: 'POST', url: '/import', headers: { cookie, ...file.headers, ...headers }, payload: file.payload });
}

const stored = async (app: FastifyInstance, owner: string): Promise<number> =>
  (await app.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM bookmarks WHERE owner_sub = ${owner}`))!.n;

function expectFileError(body: string, fragment: boolean, message: string): void {
  expect(body.includes('<html'), 'a full page without htmx, the form alone with it').toBe(!fragment);
  const page = html(body);
  const field = page.querySelector('#import-file')!;
  expect(field.getAttribute('aria-invalid')).toBe('true');
  expect(field.parentElement!.querySelector('#import-file-error')!.textContent).toContain(message);
}

describe('the event loop while a file is read', () => {
  let provider: LocalProvider;
  beforeAll(async () => {
    provider = await startTestProvider();
  });
  afterAll(async () => provider.close());

  it('/healthz answers over HTTP while a large import is being read, before that import is answered', async () => {
    // The app's own log says when the file goes to be read and when it has been read.
    const events: string[] = [];
    const stream = {
      write(line: string) {
        const { msg } = JSON.parse(line) as { msg: string };
        if (msg.startsWith('import: ')) events.push(msg);
      },
    };
    const app = await buildApp({ ...testConfig({ logLevel: 'info' }), oidc: providerSettings(provider) }, { logger: { stream } });
    try {
      const cookie = await signIn(app, 'alice');
      await app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const form = new FormData();
      form.append('file', new Blob([LARGE_EXPORT], { type: 'text/html' }), 'bookmarks.html');
      let answered = false;
      const imported = fetch(`${base}/import`, { method: 'POST', body: form, headers: { cookie, ...SAME_ORIGIN } }).then(async (response) => {
        answered = true;
        events.push('import answered');
        return { status: response.status, body: await response.text() };
      });
      // Bounded by the import itself, which has its time budget.
      while (!answered) {
        const health = await fetch(`${base}/healthz`);
        expect(await health.text()).toBe('ok');
        events.push('healthz');
      }
      const result = await imported;
      expect(result.status, result.body.slice(0, 300)).toBe(200);
      expect(html(result.body).querySelector('.notice')!.textContent).toMatch(/\d+ imported/);

      const reading = events.indexOf('import: reading the file');
      const read = events.indexOf('import: file read');
      expect(reading).toBeGreaterThanOrEqual(0);
      expect(read).toBeGreaterThan(reading);
      expect(events.slice(reading, read)).toContain('healthz');
      expect(events.indexOf('import answered')).toBeGreaterThan(read);
    } finally {
      await app.close();
    }
  }, 60_000);
});

describe.each([
  // A twentieth of the second or more that 20 MB of bookmarks takes to read.
  ['time', { timeMs: 50 }, 'That file took longer to read than this app allows (0.05 seconds).', 'the next one is read by a fresh worker and imported'],
  // Well above what the worker needs to start and read a small file, well below what 20 MB of bookmarks needs.
  ['memory', { memoryMb: 48 }, 'That file needs more memory to read than this app allows.', 'a small one fits the same budget and is imported'],
] as const)('an import over its %s budget', (_budget, importBudget, message, recovery) => {
  const ctx = useSignedInApp({ importBudget });
  const file = bareExport();

  it.each([
    ['without JavaScript', SAME_ORIGIN, false],
    ['with htmx', HTMX, true],
  ])('is a 422 with the error next to the file field, %s, and stores nothing', async (_, headers, fragment) => {
    const response = await upload(ctx.app, file, ctx.cookies.alice, headers);
    expect(response.statusCode).toBe(422);
    expectFileError(response.body, fragment, message);
    expect(await stored(ctx.app, 'alice')).toBe(0);
  });

  it(`stops only that file: ${recovery}`, async () => {
    expect((await upload(ctx.app, file, ctx.cookies.alice, SAME_ORIGIN)).statusCode).toBe(422);
    const next = await upload(ctx.app, SMALL_EXPORT, ctx.cookies.alice, SAME_ORIGIN);
    expect(next.statusCode).toBe(200);
    expect(await stored(ctx.app, 'alice')).toBeGreaterThan(0);
  });
});

describe('an import under a folder with a megabyte name', () => {
  // Reading the name once per bookmark took about 20 ms a bookmark: 1,500 of them, 30 s.
  const ctx = useSignedInApp({ importBudget: { timeMs: 5_000 } });

  it('is read within a budget of 5 seconds, every bookmark tagged', async () => {
    const links = Array.from({ length: 1_500 }, (_, i) => `<DT><A HREF="https://long.example/${i}" TAGS="own${i}">Link ${i}</A>`).join('');
    const file = `<DL><p><DT><H3>${'a'.repeat(1_000_000)}</H3><DL><p><DT><H3>Reading</H3><DL><p>${links}</DL><p></DL><p></DL><p>`;
    const response = await upload(ctx.app, file, ctx.cookies.alice, SAME_ORIGIN);
    expect(response.statusCode).toBe(200);
    const bookmarks = await ownedBookmarks(ctx.app.db, 'alice');
    expect(bookmarks).toHaveLength(1_500);
    expect(bookmarks.every(({ url, tags }) => tags.join() === `reading,own${url.split('/').at(-1)}`)).toBe(true);
  }, 60_000);
});

describe('ImportReader: the candidates come to the app a message at a time', () => {
  it('in the order of the file, every one of them, over several messages of CANDIDATES_PER_MESSAGE, each list of tags once', async () => {
    const count = 2 * CANDIDATES_PER_MESSAGE + 500;
    // Three lists of tags in turn, across every message.
    let html = '<DL><p><DT><H3>Reading</H3><DL><p>';
    for (let i = 0; i < count; i++) html += `<DT><A HREF="https://turns.example/${i}" TAGS="turn${i % 3}">Link ${i}</A>`;
    const reader = new ImportReader(DEFAULT_IMPORT_BUDGET);
    try {
      const candidates = await reader.read(new TextEncoder().encode(html));
      expect(candidates.map((c) => c.url)).toEqual(Array.from({ length: count }, (_, i) => `https://turns.example/${i}`));
      expect(candidates.map((c) => c.tags.join())).toEqual(Array.from({ length: count }, (_, i) => `reading,turn${i % 3}`));
      // One array for each list, in the app as in the worker, however many messages carried its bookmarks.
      expect(new Set(candidates.map((c) => c.tags)).size).toBe(3);
      expect(candidates[count - 3]!.tags).toBe(candidates[0]!.tags);
      // The thread is kept, and reads the next file from its start, its lists numbered afresh.
      const next = await reader.read(new TextEncoder().encode('<DL><p><DT><A HREF="https://next.example/" TAGS="again">Next</A>'));
      expect(next).toMatchObject([{ url: 'https://next.example/', tags: ['again'] }]);
    } finally {
      await reader.close();
    }
  });

  it('spends its time budget on reading the file, not on the turns of a busy app that takes the messages', async () => {
    const count = 10 * CANDIDATES_PER_MESSAGE;
    let html = '<DL><p>';
    for (let i = 0; i < count; i++) html += `<DT><A HREF="https://busy.example/${i}">Link ${i}</A>`;
    const reader = new ImportReader({ ...DEFAULT_IMPORT_BUDGET, timeMs: 1_000 });
    // Every turn of this thread holds it for 150 ms while the messages come: 1.5 s in all at least.
    let busy = true;
    const hold = (): void => {
      const until = performance.now() + 150;
      while (performance.now() < until);
      if (busy) setImmediate(hold);
    };
    try {
      const read = reader.read(new TextEncoder().encode(html));
      setImmediate(hold);
      expect(await read).toHaveLength(count);
    } finally {
      busy = false;
      await reader.close();
    }
  });
});

describe('an import whose bookmarks hold more text than one file may', () => {
  const ctx = useSignedInApp({ importBudget: { characters: 3_000 } });
  // Twenty folders of fifty letters: each is a tag of every link under them, so a link brings a
  // thousand characters of tags, and a link of its own tag makes its list unlike any other.
  const underFolders = (count: number, ownTags: boolean) => {
    let html = '<DL><p>';
    for (let i = 0; i < (ownTags ? 19 : 20); i++) html += `<DT><H3>${String.fromCharCode(97 + i).repeat(49)}${i % 10}</H3><DL><p>`;
    for (let i = 0; i < count; i++) html += `<DT><A HREF="https://deep.example/${i}"${ownTags ? ` TAGS="own${i}"` : ''}>Link ${i}</A>`;
    return html;
  };

  it.each([
    ['without JavaScript', SAME_ORIGIN, false],
    ['with htmx', HTMX, true],
  ])('is a 422 with the error next to the file field, %s, and stores nothing', async (_, headers, fragment) => {
    const response = await upload(ctx.app, underFolders(3, true), ctx.cookies.alice, headers);
    expect(response.statusCode).toBe(422);
    expectFileError(
      response.body,
      fragment,
      "That file's bookmarks hold more than 3,000 characters of addresses, titles, descriptions and tags, more than this app imports at once (each folder is a tag of every bookmark in it). Split it into smaller files.",
    );
    expect(await stored(ctx.app, 'alice')).toBe(0);
  });

  it('counts the tags that bookmarks share once: fifty links under the same folders are imported, by the same worker', async () => {
    expect((await upload(ctx.app, underFolders(3, true), ctx.cookies.alice, SAME_ORIGIN)).statusCode).toBe(422);
    expect((await upload(ctx.app, underFolders(50, false), ctx.cookies.alice, SAME_ORIGIN)).statusCode).toBe(200);
    expect(await stored(ctx.app, 'alice')).toBe(50);
  });
});

describe('an import of more bookmarks than one file may hold', () => {
  const ctx = useSignedInApp({ importBudget: { entries: 5 } });
  const links = (count: number) => `<DL><p>${Array.from({ length: count }, (_, i) => `<DT><A HREF="https://cap.example/${i}">Link ${i}</A>`).join('')}</DL>`;

  it.each([
    ['without JavaScript', SAME_ORIGIN, false],
    ['with htmx', HTMX, true],
  ])('is a 422 with the error next to the file field, %s, and stores nothing', async (_, headers, fragment) => {
    const response = await upload(ctx.app, links(6), ctx.cookies.alice, headers);
    expect(response.statusCode).toBe(422);
    expectFileError(response.body, fragment, 'That file holds more than 5 bookmarks, more than this app imports at once. Split it into smaller files.');
    expect(await stored(ctx.app, 'alice')).toBe(0);
  });

  it('imports a file of exactly that many', async () => {
    expect((await upload(ctx.app, links(5), ctx.cookies.alice, SAME_ORIGIN)).statusCode).toBe(200);
    expect(await stored(ctx.app, 'alice')).toBe(5);
  });
});
