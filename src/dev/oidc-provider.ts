import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

/**
 * A real OpenID provider on loopback for development, tests and benchmarks:
 * the app runs the very openid-client code path it runs against Auth0.
 * Any user name signs in; it becomes the subject. Never loaded in production.
 */
export interface LocalProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export interface LocalProviderOptions {
  /** The app's base URL: its /auth/callback and itself are the registered redirect URIs. */
  appBaseUrl: string;
  port?: number;
}

const page = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><link rel="icon" href="data:,">
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:#f4f4f5;color:#18181b}
main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.15);width:min(22rem,90vw)}
h1{font-size:1.25rem;margin:0 0 .25rem}p{color:#52525b;margin:0 0 1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input{box-sizing:border-box;width:100%;font:inherit;padding:.5rem .75rem;border:1px solid #a1a1aa;border-radius:8px;margin-bottom:1rem}
button{width:100%;font:inherit;font-weight:600;padding:.6rem;border:0;border-radius:8px;background:#4f46e5;color:#fff;cursor:pointer}
button.secondary{background:#e4e4e7;color:#18181b;margin-top:.5rem}
@media (prefers-color-scheme:dark){body{background:#18181b;color:#f4f4f5}main{background:#27272a}p{color:#a1a1aa}input{background:#18181b;color:#f4f4f5}}
</style></head><body><main>${body}</main></body></html>`;

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 10_000) break;
  }
  return new URLSearchParams(body);
}

export async function startLocalProvider(options: LocalProviderOptions): Promise<LocalProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'bookmarks-dev';
  const clientSecret = randomBytes(24).toString('hex');
  const appBase = new URL(options.appBaseUrl).origin;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [`${appBase}/auth/callback`],
        post_logout_redirect_uris: [`${appBase}/`, appBase],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: ['name', 'nickname'], email: ['email', 'email_verified'] },
    // Put profile claims in the ID token, as Auth0 does.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.body = page(
            'Sign out',
            `<h1>Sign out of the local provider?</h1><p>You are leaving Bookmarks.</p>${form}
             <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`,
          );
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.body = page('Signed out', '<h1>Signed out</h1>');
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // First-party app: no consent screen.
    loadExistingGrant: async (ctx) => {
      const session = ctx.oidc.session!;
      const client = ctx.oidc.client!;
      const grantId = session.grantIdFor(client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId! });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: sub, nickname: sub, email: `${sub}@example.test`, email_verified: true }),
    }),
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600 },
  });
  provider.on('server_error', (_ctx, error) => console.error('local OpenID provider error:', error));
  const handle = provider.callback();

  server.on('request', async (request, response) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(new URL(request.url ?? '/', issuer).pathname);
    if (!match) return handle(request, response);
    try {
      const details = await provider.interactionDetails(request, response);
      if (request.method === 'POST' && match[2]) {
        const form = await readForm(request);
        const login = (form.get('login') ?? '').trim().slice(0, 64);
        if (!login) {
          response.writeHead(303, { Location: `/interaction/${details.uid}` }).end();
          return;
        }
        await provider.interactionFinished(request, response, { login: { accountId: login } }, { mergeWithLastSubmission: false });
        return;
      }
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end(
        page(
          'Sign in',
          `<h1>Sign in</h1><p>Local development provider: any user name works.</p>
           <form method="post" action="/interaction/${escapeHtml(details.uid)}/login">
             <label for="login">User name</label>
             <input id="login" name="login" autocomplete="username" autofocus required>
             <label for="password">Password <small>(anything)</small></label>
             <input id="password" name="password" type="password" autocomplete="current-password">
             <button type="submit">Sign in</button>
           </form>`,
        ),
      );
    } catch {
      response.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(page('Sign-in expired', '<h1>This sign-in has expired</h1><p>Go back to the app and start again.</p>'));
    }
  });

  return {
    issuer,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
