// Runs before the e2e suite: a missing browser is an error, never a silent skip, in CI and locally.
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'sudo apt-get update && sudo apt-get install -y chromium';

if (!existsSync(CHROMIUM)) {
  if (process.env.CI === 'true') {
    console.error(`E2E FAILED: no Chromium at ${CHROMIUM}. CI must install it before the suite runs: ${INSTALL}`);
  } else {
    console.error(`The end-to-end suite drives Debian's Chromium at ${CHROMIUM}, which is not installed. Install it with:\n\n  ${INSTALL}\n`);
  }
  process.exit(1);
}
