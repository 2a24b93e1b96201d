import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { CHROMIUM_PATH, ROOT, SCREENSHOT_DIR } from './harness.js';

/** Builds the app once, exactly as `npm start` does, and starts each run with an empty screenshot folder. */
export default function setup(): void {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`No Chromium at ${CHROMIUM_PATH}. Install it with: sudo apt-get install -y chromium`);
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { cwd: ROOT, stdio: 'inherit' });
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
}
