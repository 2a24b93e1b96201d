import { defineConfig } from 'vitest/config';

// npm run test:replicas: three app processes started as npm start starts them, on PostgreSQL and on
// SQLite (tests/replicas). Slow and heavy, so apart from npm test; CI runs it.
export default defineConfig({
  test: {
    include: ['tests/replicas/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
