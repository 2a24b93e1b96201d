import { describe, expect, it, vi } from 'vitest';

// A machine of more cores than the workers a server may run.
vi.mock('node:os', async (original) => ({ ...(await original<typeof import('node:os')>()), availableParallelism: () => 384 }));
const { loadConfig } = await import('../src/config.js');

const production = {
  NODE_ENV: 'production',
  AUTH0_DOMAIN: 'my-tenant.us.auth0.com',
  AUTH0_CLIENT_ID: 'client',
  AUTH0_CLIENT_SECRET: 'super-secret-value',
  APP_BASE_URL: 'https://bookmarks.example.com',
  SESSION_SECRET: '0'.repeat(64),
};

describe('WEB_CONCURRENCY left unset on a machine of 384 cores', () => {
  it('runs one worker per core up to 256, as .env.example says, where it refused to start', () => {
    expect(loadConfig(production).webConcurrency).toBe(256);
    expect(() => loadConfig({ ...production, WEB_CONCURRENCY: '384' })).toThrow(/WEB_CONCURRENCY must be a whole number of worker processes from 1 to 256/);
  });
});
