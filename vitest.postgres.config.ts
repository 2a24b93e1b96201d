import { defineConfig } from 'vitest/config';

// npm run test:postgres: the same suite as npm test, against a real PostgreSQL server that
// tests/postgres-setup.ts starts and throws away. Tests of SQLite internals (*.sqlite.test.ts) stay out.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'tests/replicas/**', 'tests/**/*.sqlite.test.ts', 'node_modules/**'],
    globalSetup: ['tests/postgres-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
