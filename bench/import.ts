/**
 * `npm run bench:import`: a realistic 10,000-entry browser export (about 5 MB)
 * posted to /import as the import form sends it (htmx, multipart/form-data),
 * against the app started as `npm start` runs it, signed in through the local
 * OpenID provider: three times into fresh users, once into a user who already
 * has 10,000 bookmarks. Prints the figures; writes no file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHTML } from 'linkedom';
import { startApp } from './processes.js';
import { seed, WORDS } from './seed.js';
import { signInOverHttp } from './sign-in.js';

const ENTRIES = 10_000;
const TARGET_MS = 2_000;
const FRESH_RUNS = 3;

const DOMAINS = ['github.com', 'developer.mozilla.org', 'en.wikipedia.org', 'news.ycombinator.com', 'stackoverflow.com',
  'www.youtube.com', 'www.nytimes.com', 'www.marmiton.org', 'ja.wikipedia.org', 'www.sbb.ch', 'lwn.net', 'sqlite.org'];
const NON_ASCII = ['日本語のガイド', 'Crème brûlée à la maison', 'Zürich Straßenbahn', 'Ελληνική κουζίνα', 'Москва — путеводитель', 'Café ☕ and 🙂'];
const ESCAPED = ['Tom &amp; Jerry', '&lt;canvas&gt; tricks', '&quot;Quoted&quot; advice', 'Rock &#39;n&#39; roll', 'R&amp;D &mdash; notes'];

/** The same pseudo-random sequence every run, so every run imports the same file. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48_271) % 2_147_483_647) / 2_147_483_647;
}

interface Folder {
  name: string;
  attributes: string;
  children: Folder[];
}

/** Chrome's roots (marked as Firefox marks them), each holding folders three levels deep. */
function folderTree(next: () => number): Folder[] {
  const named = (depth: number): Folder => ({
    name: `${WORDS[Math.floor(next() * WORDS.length)]} ${['projects', 'reading', 'recipes', 'trips', 'Menu', 'archive'][depth % 6]}`,
    attributes: ` ADD_DATE="${1_500_000_000 + Math.floor(next() * 2e8)}" LAST_MODIFIED="${1_700_000_000 + Math.floor(next() * 1e7)}"`,
    children: depth < 2 ? Array.from({ length: depth === 0 ? 3 : 2 }, () => named(depth + 1)) : [],
  });
  return [
    { name: 'Bookmarks bar', attributes: ' ADD_DATE="1500000000" PERSONAL_TOOLBAR_FOLDER="true"', children: Array.from({ length: 6 }, () => named(0)) },
    { name: 'Other bookmarks', attributes: ' ADD_DATE="1500000000" UNFILED_BOOKMARKS_FOLDER="true"', children: Array.from({ length: 4 }, () => named(0)) },
  ];
}

/** The export file: ICONs, LAST_MODIFIED, TAGS, escaped and non-ASCII titles, bookmarklets and duplicates among the entries. */
function generateExport(count = ENTRIES): string {
  const next = sequence(20_240_601);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  // One icon per site, as browsers store them: 16×16 PNGs, 0.4 to 1.6 KB of base64.
  const icons = new Map(DOMAINS.map((domain) => [domain, Buffer.from(Array.from({ length: 300 + Math.floor(next() * 900) }, () => Math.floor(next() * 256))).toString('base64')]));
  const tree = folderTree(next);
  const folders: Folder[] = [];
  const collect = (folder: Folder): void => {
    folders.push(folder);
    folder.children.forEach(collect);
  };
  tree.forEach(collect);
  const perFolder = Math.ceil(count / folders.length);
  const urls: string[] = [];
  let written = 0;

  const link = (indent: string): string => {
    const i = written++;
    const domain = pick(DOMAINS);
    const words = Array.from({ length: 2 + Math.floor(next() * 6) }, () => pick(WORDS));
    let url = `https://${domain}/${words.slice(0, 3).join('-')}/${i}${i % 9 === 0 ? `?ref=bookmarks&amp;page=${i % 13}` : ''}`;
    if (i % 400 === 17) url = `javascript:(function(){var s=document.createElement(&quot;script&quot;);s.src=&quot;https://bm.example/${i}.js&quot;;document.body.appendChild(s)})()`;
    else if (i % 300 === 29 && urls.length > 100) {
      // A duplicate of an earlier entry, half of them spelt with a slash at the end of the path.
      const earlier = urls[urls.length - 100]!;
      url = i % 2 || earlier.includes('?') || earlier.startsWith('javascript:') ? earlier : `${earlier}/`;
    }
    urls.push(url);
    const title = i % 11 === 0 ? `${pick(ESCAPED)} ${words.join(' ')}` : i % 7 === 0 ? `${pick(NON_ASCII)} ${words[0]}` : words.join(' ');
    const added = 1_500_000_000 + Math.floor(next() * 2.2e8);
    const attributes = [
      `HREF="${url}"`,
      `ADD_DATE="${added}"`,
      next() < 0.5 ? `LAST_MODIFIED="${added + Math.floor(next() * 1e6)}"` : '',
      next() < 0.3 ? `ICON="data:image/png;base64,${icons.get(domain)}"` : '',
      next() < 0.2 ? `TAGS="${[pick(WORDS), pick(WORDS)].join(',')}"` : '',
    ].filter(Boolean);
    return `${indent}<DT><A ${attributes.join(' ')}>${title}</A>`;
  };

  const render = (folder: Folder, depth: number): string[] => {
    const indent = '    '.repeat(depth + 1);
    const lines = [`${indent}<DT><H3${folder.attributes}>${folder.name}</H3>`, `${indent}<DL><p>`];
    for (const child of folder.children) lines.push(...render(child, depth + 1));
    for (let k = 0; k < perFolder && written < count; k++) lines.push(link(`${indent}    `));
    lines.push(`${indent}</DL><p>`);
    return lines;
  };

  const body = tree.flatMap((folder) => render(folder, 0));
  while (written < count) body.splice(-1, 0, link('        '));
  return [
    '<!DOCTYPE NETSCAPE-Bookmark-file-1>',
    '<!-- This is an automatically generated file.',
    '     It will be read and overwritten.',
    '     DO NOT EDIT! -->',
    '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
    '<TITLE>Bookmarks</TITLE>',
    '<H1>Bookmarks</H1>',
    '<DL><p>',
    ...body,
    '</DL><p>',
    '',
  ].join('\n');
}

/** As the import form sends it with htmx: multipart/form-data built by the browser, HX-Request, same-origin. */
async function postImport(appBase: string, cookie: string, file: string): Promise<{ ms: number; status: number; summary: string }> {
  const form = new FormData();
  form.append('file', new Blob([file], { type: 'text/html' }), 'bookmarks.html');
  const started = performance.now();
  const response = await fetch(`${appBase}/import`, {
    method: 'POST',
    body: form,
    headers: {
      cookie,
      origin: appBase,
      'sec-fetch-site': 'same-origin',
      'hx-request': 'true',
      'hx-current-url': `${appBase}/import`,
      'hx-target': 'import-form',
      'hx-trigger': 'import-form',
    },
  });
  const body = await response.text();
  const ms = performance.now() - started;
  const { document } = parseHTML(`<div>${body}</div>`);
  const summary = (document.querySelector('.notice p')?.textContent ?? document.querySelector('.field-error')?.textContent ?? body.slice(0, 120))
    .replace(/\s+/g, ' ')
    .trim();
  return { ms, status: response.status, summary };
}

async function main(): Promise<void> {
  const tempDir = mkdtempSync(join(tmpdir(), 'bookmarks-bench-import-'));
  const databasePath = join(tempDir, 'import.db');
  const existingUser = 'bench-import-has-10k';
  const seeded = await seed(databasePath, existingUser, 10_000, 0, 0);

  const file = generateExport();
  const entries = (file.match(/<DT><A /g) ?? []).length;
  console.log(`file: ${entries.toLocaleString('en')} entries, ${(Buffer.byteLength(file) / 1024 / 1024).toFixed(1)} MB; ${existingUser} seeded with ${seeded.ownRows.toLocaleString('en')} bookmarks`);

  process.on('exit', () => rmSync(tempDir, { recursive: true, force: true }));
  // Exactly what `npm start` runs, as bench/run.ts starts it.
  const app = await startApp(databasePath);
  const appBase = app.base;
  try {
    const users = [...Array.from({ length: FRESH_RUNS }, (_, k) => `bench-import-fresh-${k + 1}`), existingUser];
    const rows: { user: string; ms: number; summary: string }[] = [];
    for (const user of users) {
      const cookie = await signInOverHttp(appBase, user);
      const result = await postImport(appBase, cookie, file);
      if (result.status !== 200) throw new Error(`${user}: /import answered ${result.status}: ${result.summary}\n${app.output()}`);
      rows.push({ user, ms: result.ms, summary: result.summary });
      console.log(`  ${user}: ${result.ms.toFixed(0)} ms`);
    }

    const cpu = cpus();
    console.log(`\nPOST /import, ${entries.toLocaleString('en')} entries, end to end (upload, parse, store, render); ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}\n`);
    console.log('| run | into | ms | entries/s | summary |');
    console.log('|---|---|---:|---:|---|');
    rows.forEach((row, k) => {
      const into = row.user === existingUser ? 'a user with 10,000 bookmarks' : 'a fresh user';
      console.log(`| ${k + 1} | ${into} | ${row.ms.toFixed(0)} | ${Math.round(entries / (row.ms / 1000)).toLocaleString('en')} | ${row.summary} |`);
    });
    const worst = Math.max(...rows.map((row) => row.ms));
    console.log(`\ntarget: each import ≤ ${TARGET_MS.toLocaleString('en')} ms — worst ${worst.toFixed(0)} ms: ${worst <= TARGET_MS ? 'met' : 'MISSED'}`);
  } finally {
    await app.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
