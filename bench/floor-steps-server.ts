/**
 * What the floor is made of: the bare Fastify "hello world" of the ceiling, plus one
 * piece of every signed-in request at a time, each measured next to the ceiling.
 *   step 1: the app's fixed security headers (src/http/security.ts), set as the app sets them;
 *   step 2: and the session cookie read as the app reads it (@fastify/secure-session,
 *           the same options, its decryptions kept, a preHandler that reads the user).
 * No database: the app's floor adds the ended-session lookup and the rest of its hooks.
 * Usage: node --import tsx bench/floor-steps-server.ts <port> <step>; GET /sign-in gives a session cookie.
 */
import { randomBytes } from 'node:crypto';
import secureSession from '@fastify/secure-session';
import Fastify from 'fastify';
import { registerSecurityHeaders } from '../src/http/security.js';
import { newSessionId } from '../src/auth/ended-sessions.js';
import { keepDecryptedSessions, sessionCookieOptions } from '../src/auth/session.js';

const [port, step] = [Number(process.argv[2]), Number(process.argv[3])];
const app = Fastify({ logger: false });
if (step >= 1) registerSecurityHeaders(app);
if (step >= 2) {
  await app.register(secureSession, sessionCookieOptions(new URL(`http://127.0.0.1:${port}`), [randomBytes(32)]));
  keepDecryptedSessions(app);
  app.get('/sign-in', async (request) => {
    request.session.set('user', { sub: 'bench-user', name: 'Bench User' });
    request.session.set('signedInAt', Math.floor(Date.now() / 1000));
    request.session.set('sessionId', newSessionId());
    return 'signed in';
  });
  app.addHook('preHandler', async (request, reply) => {
    // Every request below is signed in: one without the session would not be measuring this step.
    if (request.url !== '/sign-in' && !request.session.get('user')) return reply.code(401).send('not signed in');
  });
}
app.get('/', async () => 'ok');
await app.listen({ host: '127.0.0.1', port });
console.log('listening');
