import fp from 'fastify-plugin';
import { openDb, type Db } from './client.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

export const dbPlugin = fp<{ path: string }>(
  async (app, { path }) => {
    const db = openDb(path);
    app.decorate('db', db);
    app.addHook('onClose', async () => {
      db.$client.close();
    });
  },
  { name: 'db' },
);
