import fp from 'fastify-plugin';
import { openDb, type DatabaseTarget } from './client.js';
import type { Db } from './database.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

export const dbPlugin = fp<{ target: DatabaseTarget }>(
  async (app, { target }) => {
    const db = await openDb(target, (error) => app.log.warn({ err: error }, 'database: an idle connection failed and will be replaced'));
    app.decorate('db', db);
    // Before any hook reads: a request reads what was committed before it arrived, whichever process wrote it.
    app.addHook('onRequest', (_request, _reply, done) => {
      db.freshSnapshot();
      done();
    });
    app.addHook('onClose', async () => db.close());
  },
  { name: 'db' },
);
