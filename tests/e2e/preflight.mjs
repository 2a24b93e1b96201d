// Runs before the e2e suite: a missing browser is an error, never a silent skip.
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  if (process.env.CI === 'true') {
    console.error(`E2E FAILED: no Chromium at ${CHROMIUM}. CI must install it first (apt-get install -y chromium).`);
  } else {
    console.error(`The end-to-end suite drives Debian's Chromium at ${CHROMIUM}, which is not installed. Install it with:`);
    console.log('sudo apt-get install -y chromium');
  }
  process.exit(1);
}
