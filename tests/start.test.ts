import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * scripts/start.mjs in a throwaway project whose only package is typescript (no @types,
 * as on a production install) and whose server reports its pid, NODE_ENV and SIGTERM.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
let project: string;

function writeServer(greeting: string): void {
  writeFileSync(
    join(project, 'src', 'server.ts'),
    // The handler goes in before the line the test waits for: a SIGTERM sent on that line must find it.
    `const port: number = 0;
const alive = setInterval(() => {}, 1000);
process.on('SIGTERM', () => { console.log('SIGTERM handled'); clearInterval(alive); });
console.log('${greeting} pid=' + process.pid + ' NODE_ENV=' + process.env.NODE_ENV + ' port=' + port);
`,
  );
}

interface Run {
  pid: number;
  output: string;
  exitCode: number | null;
}

/** Starts `node scripts/start.mjs`, waits for the server's line (or an exit), then sends SIGTERM. */
async function start(): Promise<Run> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: project, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!/pid=\d+/.test(output) && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  if (child.exitCode === null) child.kill('SIGTERM');
  const exitCode = await exited;
  return { pid: child.pid!, output, exitCode };
}

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'bookmarks-start-'));
  mkdirSync(join(project, 'scripts'));
  mkdirSync(join(project, 'src'));
  mkdirSync(join(project, 'node_modules'));
  copyFileSync(join(ROOT, 'scripts', 'start.mjs'), join(project, 'scripts', 'start.mjs'));
  copyFileSync(join(ROOT, 'tsconfig.json'), join(project, 'tsconfig.json'));
  copyFileSync(join(ROOT, 'tsconfig.build.json'), join(project, 'tsconfig.build.json'));
  writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, 'node_modules', 'typescript'), join(project, 'node_modules', 'typescript'), 'dir');
  writeServer('first');
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

describe('npm start (scripts/start.mjs)', () => {
  it('compiles without @types, runs the server in its own process with NODE_ENV=production, and delivers SIGTERM to it', async () => {
    const run = await start();
    expect(run.output).toContain('Compiling');
    expect(run.output).toContain(`first pid=${run.pid} NODE_ENV=production`);
    expect(run.output).toContain('SIGTERM handled');
    expect(run.exitCode).toBe(0);
  });

  it('compiles again only when a file under src/ is newer than dist/server.js', async () => {
    await start();
    const built = statSync(join(project, 'dist', 'server.js')).mtimeMs;

    const unchanged = await start();
    expect(unchanged.output).not.toContain('Compiling');
    expect(unchanged.output).toContain('first pid=');
    expect(statSync(join(project, 'dist', 'server.js')).mtimeMs).toBe(built);

    writeServer('second');
    const later = new Date(built + 5_000);
    utimesSync(join(project, 'src', 'server.ts'), later, later);
    const changed = await start();
    expect(changed.output).toContain('Compiling');
    expect(changed.output).toContain('second pid=');
  });

  it('runs a command of src/commands/ with its own arguments only, as `npm run db:copy -- --from a --to b` does', async () => {
    mkdirSync(join(project, 'src', 'commands'));
    // As db-copy reads them: parseArgs over process.argv, which refuses any positional argument.
    writeFileSync(
      join(project, 'src', 'commands', 'show-arguments.ts'),
      `import { parseArgs } from 'node:util';
const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
console.log('arguments ' + JSON.stringify(values));
`,
    );
    const child = spawn(process.execPath, ['scripts/start.mjs', 'show-arguments', '--from', 'a.db', '--to', 'b.db'], { cwd: project, env: { PATH: process.env.PATH } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(output).toContain('arguments {"from":"a.db","to":"b.db"}');
    expect(exitCode).toBe(0);
  });

  it('stops on a syntax error and leaves no dist/server.js behind, so the next start compiles again', async () => {
    writeFileSync(join(project, 'src', 'server.ts'), 'const = ;\n');
    const broken = await start();
    expect(broken.exitCode).not.toBe(0);
    expect(broken.output).not.toContain('pid=');
    expect(existsSync(join(project, 'dist', 'server.js'))).toBe(false);
  });
});
