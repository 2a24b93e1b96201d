import { parseArgs } from 'node:util';
import { ConfigError, loadDatabaseConfig, loadDotEnv } from '../config.js';
import { describeDatabase, migrateDatabase, openDb, type DatabaseTarget } from '../db/client.js';
import { copyDatabase } from '../db/copy.js';

/*
 * `npm run db:copy`: copies every user's data from the SQLite file at
 * DATABASE_PATH into the empty PostgreSQL database at DATABASE_URL (or between
 * any two given with --from and --to: a file path or a postgres:// URL).
 * Both are migrated first; the target must be empty. Stop the app meanwhile.
 */

function targetOf(value: string): DatabaseTarget {
  return /^postgres(ql)?:\/\//i.test(value) ? loadDatabaseConfig({ DATABASE_URL: value }) : { engine: 'sqlite', path: value };
}

loadDotEnv();
try {
  const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
  const configured = loadDatabaseConfig();
  const from = values.from ? targetOf(values.from) : loadDatabaseConfig({ DATABASE_PATH: process.env.DATABASE_PATH });
  const to = values.to ? targetOf(values.to) : configured;
  if (describeDatabase(from) === describeDatabase(to)) {
    throw new ConfigError(['db:copy needs two different databases: set DATABASE_URL to the PostgreSQL target (the source is DATABASE_PATH), or pass --from and --to']);
  }
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
