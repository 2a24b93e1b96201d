import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { LocalProvider } from '../../src/dev/oidc-provider.js';
import { createToken } from '../../src/tokens/tokens.js';
import { findBookmark } from '../../src/bookmarks/queries.js';
import { buildTestApp, ownedBookmarks, setupBookmark, startTestProvider } from '../helpers.js';

/** The README's curl examples for the JSON API, run as written against the app on 127.0.0.1. */
const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const section = readme.slice(readme.indexOf('## JSON API'));
const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
const commands = block
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((line) => line.startsWith('curl '));

let provider: LocalProvider;
let app: FastifyInstance;
let base: string;
let token: string;

beforeAll(async () => {
  provider = await startTestProvider();
  app = await buildTestApp(provider);
  base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/v1`;
  token = (await createToken(app.db, 'alice', 'readme')).secret;
  // The examples use bookmark 42.
  for (let i = 1; i <= 42; i++) await setupBookmark(app.db, 'alice', { url: `https://example.com/${i}`, tags: ['orm'] });
});
afterAll(async () => {
  await app.close();
  await provider.close();
});

/** Runs one example through bash and real curl (asynchronously: the app answers from this process). */
async function run(command: string): Promise<{ status: number; body: string }> {
  const { stdout: output } = await promisify(execFile)('bash', ['-c', `curl() { command curl -sS --max-time 10 -w '\\n%{http_code}' "$@"; }; ${command}`], {
    env: { PATH: process.env.PATH, BM: base, TOKEN: token },
    encoding: 'utf8',
  });
  const lines = output.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

describe('README: JSON API examples', () => {
  it('has one for every operation in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        const pattern = new RegExp(`\\$BM${path.replace(/\{\w+\}/g, '\\d+')}(?:[?"]|$)`);
        const covered = commands.some((command) => pattern.test(command) && (method === 'get' ? !/-X |-d /.test(command) : method === 'post' ? /-d /.test(command) && !/-X /.test(command) : command.includes(`-X ${method.toUpperCase()}`)));
        expect(covered, `${method.toUpperCase()} ${path}`).toBe(true);
      }
    }
  });

  it('each one works as written', async () => {
    const statuses: number[] = [];
    for (const command of commands) {
      const { status, body } = await run(command);
      expect(status, `${command}\n${body}`).toBeLessThan(300);
      statuses.push(status);
    }
    expect(statuses).toEqual([200, 200, 201, 200, 200, 200, 204, 200, 200]);
    const saved = (await ownedBookmarks(app.db, 'alice')).filter((bookmark) => bookmark.url === 'https://orm.drizzle.team/');
    expect(saved.map(({ title, description, tags }) => ({ title, description, tags }))).toEqual([{ title: 'Drizzle ORM', description: 'TypeScript ORM', tags: ['orm', 'sqlite'] }]);
    expect(await findBookmark(app.db, 'alice', 42)).toBeUndefined();
  });
});
