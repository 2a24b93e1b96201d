import type { TestProject } from 'vitest/node';
import { migrate } from '../src/db/migrate.js';
import { PostgresDb } from '../src/db/postgres.js';
import { startPostgres } from '../scripts/lib/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set only in `npm run test:postgres`: a superuser URL of the throwaway server. */
    postgresAdminUrl?: string;
  }
}

/** The database every test database is copied from: migrated once here. */
export const TEMPLATE_DATABASE = 'bookmarks_template';

/**
 * `npm run test:postgres`: one throwaway PostgreSQL server for the whole run,
 * started in a temporary directory and deleted afterwards. Tests then run the
 * same suite as `npm test`, each app on its own copy of the migrated template.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const server = await startPostgres();
  const admin = new PostgresDb(server.adminUrl);
  try {
    await admin.pool.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.close();
  }
  const template = new PostgresDb(server.urlFor(TEMPLATE_DATABASE));
  try {
    await migrate(template);
  } finally {
    await template.close();
  }
  project.provide('postgresAdminUrl', server.adminUrl);
  return () => server.destroy();
}
