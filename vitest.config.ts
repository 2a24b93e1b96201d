import { defineConfig } from 'vitest/config';

// npm test: SQLite (:memory: with the real migrations). PostgreSQL-only tests (*.postgres.test.ts) run in npm run test:postgres.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'tests/replicas/**', 'tests/**/*.postgres.test.ts', 'node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
