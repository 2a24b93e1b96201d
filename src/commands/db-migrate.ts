import { ConfigError, loadDatabaseConfig, loadDotEnv } from '../config.js';
import { migrateDatabase } from '../db/client.js';

/** `npm run db:migrate`: applies pending migrations to the configured database, under the migration lock, and exits. */
loadDotEnv();
try {
  console.log(await migrateDatabase(loadDatabaseConfig()));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Migration stopped: ${(error as Error).message}`);
  process.exit(1);
}
