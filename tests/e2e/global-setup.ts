import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { CHROMIUM_PATH, INSTALL_HINT, SCREENSHOT_DIR } from './harness.js';

/**
 * Starts each run with an empty screenshot folder. No build here: each test file
 * starts the app through scripts/start.mjs, which compiles dist/ when it is stale.
 */
export default function setup(): void {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`No Chromium at ${CHROMIUM_PATH}. Install it with: ${INSTALL_HINT}`);
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
}
