/**
 * A realistic browser export, the same file for the same count on every run: Chrome's
 * roots marked as Firefox marks them, folders three levels deep, ICONs, LAST_MODIFIED,
 * TAGS, escaped and non-ASCII titles, bookmarklets and duplicates. About 500 bytes an
 * entry, so 10,000 entries make some 5 MB. Used by `npm run bench:import` and the tests.
 */
import { WORDS } from './seed.js';

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
export function generateExport(count: number): string {
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
