import { defineConfig } from 'vitest/config';

// Real-browser journeys against the production build; see tests/e2e/harness.ts.
// Generous timeouts: one Chromium and the app share a small CI machine, and the
// first file's beforeAll may compile dist/ (scripts/start.mjs).
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    globalSetup: ['tests/e2e/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
