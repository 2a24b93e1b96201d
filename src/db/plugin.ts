import fp from 'fastify-plugin';
import { openDb, type DatabaseTarget } from './client.js';
import { openCounterDb } from './counter-db.js';
import type { Db } from './database.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    /** Where the rate limits count (src/db/counter-db.ts): `db` on PostgreSQL, a file of their own on SQLite. */
    counterDb: Db;
  }
}

export const dbPlugin = fp<{ target: DatabaseTarget }>(
  async (app, { target }) => {
    const db = await openDb(target, (error) => app.log.warn({ err: error }, 'database: an idle connection failed and will be replaced'));
    app.decorate('db', db);
    const counterDb = await openCounterDb(target, db).catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    app.decorate('counterDb', counterDb);
    // Before any hook reads: a request reads what was committed before it arrived, whichever process wrote it.
    app.addHook('onRequest', (_request, _reply, done) => {
      db.freshSnapshot();
      done();
    });
    app.addHook('onClose', async () => {
      try {
        await db.close();
      } finally {
        if (counterDb !== db) await counterDb.close();
      }
    });
  },
  { name: 'db' },
);
