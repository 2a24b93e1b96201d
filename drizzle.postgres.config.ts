import { defineConfig } from 'drizzle-kit';

// The PostgreSQL twin of drizzle.config.ts (SQLite): npm run db:generate runs both.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.postgres.ts',
  out: './drizzle/postgres',
});
