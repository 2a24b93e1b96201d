import { parseArgs } from 'node:util';
import { ConfigError, loadCopyConfig, loadDotEnv } from '../config.js';
import { describeDatabase, migrateDatabase, openDb } from '../db/client.js';
import { copyDatabase } from '../db/copy.js';

/*
 * `npm run db:copy`: copies every user's data from the SQLite file at
 * DATABASE_PATH into the empty PostgreSQL database at DATABASE_URL (or between
 * any two given with --from and --to: a file path or a postgres:// URL).
 * Both are migrated first; the target must be empty. Stop the app meanwhile.
 */

loadDotEnv();
try {
  const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
  const { from, to } = loadCopyConfig(values);
  console.log(await migrateDatabase(from));
  console.log(await migrateDatabase(to));
  const [source, target] = await Promise.all([openDb(from), openDb(to)]);
  try {
    const report = await copyDatabase(source, target);
    console.log(`Copied ${describeDatabase(from)} into ${describeDatabase(to)}: ${Object.entries(report.rows).map(([table, rows]) => `${rows} ${table}`).join(', ')}.`);
    if (report.tagCountMismatches.length > 0) {
      console.error(`Tag counts differ for ${report.tagCountMismatches.length} user(s) (${report.tagCountMismatches.join(', ')}): the target's were rebuilt from the copied bookmarks.`);
    }
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `db:copy stopped: ${(error as Error).message}`);
  process.exit(1);
}
