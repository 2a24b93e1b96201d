// `npm start` (and `npm run db:migrate`, `npm run db:copy`): compile src/ only when dist/ is missing
// or older than it, then run the entry in this very process, so SIGTERM and SIGINT reach its
// handlers directly. The entry is dist/server.js unless an argument names a command in src/commands/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const server = join(root, 'dist', 'server.js');
const command = process.argv[2];
const entry = command ? join(root, 'dist', 'commands', `${command}.js`) : server;

/** Folders count too: their time changes when a file is added, renamed or removed. */
function newestSourceTime() {
  const paths = [join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), join(root, 'src')];
  for (const name of readdirSync(join(root, 'src'), { recursive: true })) paths.push(join(root, 'src', name));
  return Math.max(...paths.map((path) => statSync(path).mtimeMs));
}

if (!existsSync(server) || statSync(server).mtimeMs < newestSourceTime()) {
  console.log('Compiling src/ into dist/ ...');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // --noCheck emits without type-checking, so an install without devDependencies (no @types) can build; CI type-checks.
  const build = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--noCheck'], { stdio: 'inherit' });
  if (build.status !== 0) {
    // tsc may have written dist/server.js anyway; remove it so the next start compiles again.
    rmSync(server, { force: true });
    process.exit(build.status ?? 1);
  }
}
if (!existsSync(entry)) {
  console.error(`No such command: ${command} (the commands are the files in src/commands/)`);
  process.exit(1);
}

// Set before the import: config.ts reads NODE_ENV when the server starts.
process.env.NODE_ENV = 'production';
// A command reads its own arguments from process.argv (db-copy's --from and --to), not its name.
if (command) process.argv.splice(2, 1);
await import(pathToFileURL(entry).href);
