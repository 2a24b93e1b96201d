import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** docs/SECURITY.md must point every row at tests that exist, by file and by name. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(`${root}docs/SECURITY.md`, 'utf8');
const rows = doc.split('\n').filter((line) => /^\| (?:V\d|— )/.test(line));

/** The test cell: `file` › describe › name; "… ›" continues in the same file. */
function references(row: string): { file: string; names: string[] }[] {
  const cell = row.split(' | ').at(-1)!.replace(/\s*\|\s*$/, '');
  const found: { file: string; names: string[] }[] = [];
  let file: string | undefined;
  // Titles may hold "; " themselves: a new reference starts with a file, "… ›" or an npm script.
  for (const part of cell.split(/; (?=`tests\/|… › |`npm )/)) {
    const start = /^`(tests\/[^`]+)` › (.*)$/.exec(part);
    const rest = start ? start[2]! : part.startsWith('… › ') ? part.slice(4) : undefined;
    if (start) file = start[1];
    if (rest === undefined || !file) continue;
    found.push({ file, names: rest.split(' › ') });
  }
  return found;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `name` is the complete title of a describe block (`describe`, `describe.each(...)`), or of a test (`it`, `it.each(...)`), in `source`. */
function hasTitle(source: string, name: string, kind: 'describe' | 'test'): boolean {
  const literal = (quote: string) => `${quote}${escapeRegExp(quote === "'" ? name.replaceAll("'", "\\'") : name)}${quote}`;
  const literals = [`'`, '"', '`'].map(literal).join('|');
  // `.each(...)` takes an inline table or a named constant.
  const each = '(?:\\.each\\((?:[\\s\\S]*?\\]\\s*(?:as const)?|[A-Z_]+)\\))?';
  const call = `${kind === 'describe' ? '\\bdescribe' : '(?:\\bit|\\btest)'}${each}\\(\\s*`;
  return new RegExp(`${call}(?:${literals})\\s*,`).test(source);
}

describe('docs/SECURITY.md', () => {
  it('has a row for every area the issue names', () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const topic of ['Secure', 'SameSite', 'Inactivity', 'Absolute', 'forgery', 'IDOR', 'output encoding', 'URL protocols', 'open redirects', 'CSP', 'Anti-automation', 'Input validated', 'logs']) {
      expect(rows.some((row) => row.toLowerCase().includes(topic.toLowerCase())), topic).toBe(true);
    }
  });

  it.each(rows.map((row) => [row.split(' | ')[0]!.slice(2), row] as const))('%s points at tests that exist', (_id, row) => {
    const refs = references(row);
    expect(refs.length + (row.includes('npm run') ? 1 : 0)).toBeGreaterThan(0);
    for (const { file, names } of refs) {
      expect(existsSync(`${root}${file}`), file).toBe(true);
      const source = readFileSync(`${root}${file}`, 'utf8');
      expect(source, `${file} skips or narrows tests`).not.toMatch(/\b(?:describe|it|test)\.(?:skip|todo|only)\b/);
      // Each name is a whole title: the describe blocks' first arguments, then the test's.
      names.forEach((name, index) => {
        const kind = index === names.length - 1 ? 'test' : 'describe';
        // A note in parentheses may follow the title: "title (what this row takes from it)".
        const found = hasTitle(source, name, kind) || hasTitle(source, name.replace(/ \([^)]*\)$/, ''), kind);
        expect(found, `${file}: ${kind} ${JSON.stringify(name)}`).toBe(true);
      });
    }
  });
});
