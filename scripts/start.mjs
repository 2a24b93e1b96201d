// `npm start`: compile src/ only when dist/ is missing or older than it, then run the
// server in this very process, so SIGTERM and SIGINT reach its shutdown handlers directly.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'dist', 'server.js');

/** Folders count too: their time changes when a file is added, renamed or removed. */
function newestSourceTime() {
  const paths = [join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), join(root, 'src')];
  for (const name of readdirSync(join(root, 'src'), { recursive: true })) paths.push(join(root, 'src', name));
  return Math.max(...paths.map((path) => statSync(path).mtimeMs));
}

if (!existsSync(entry) || statSync(entry).mtimeMs < newestSourceTime()) {
  console.log('Compiling src/ into dist/ ...');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // --noCheck emits without type-checking, so an install without devDependencies (no @types) can build; CI type-checks.
  const build = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--noCheck'], { stdio: 'inherit' });
  if (build.status !== 0) {
    // tsc may have written dist/server.js anyway; remove it so the next start compiles again.
    rmSync(entry, { force: true });
    process.exit(build.status ?? 1);
  }
}

// Set before the import: config.ts reads NODE_ENV when the server starts.
process.env.NODE_ENV = 'production';
await import(pathToFileURL(entry).href);
