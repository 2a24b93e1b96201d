import type { FastifyInstance } from 'fastify';

/**
 * The security headers of every answer, computed once at startup (what @fastify/helmet sent
 * with these options, without running it per request). Strict CSP: our own scripts and
 * styles only, no inline code and no eval. Forms post to this site alone: sign-out's post
 * leads to a page of ours, and only that page's refresh leaves for the provider
 * (src/auth/sign-out.ts), so form-action needs no other origin.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // Site icons are served from our own origin (/favicons/…): no page makes the browser contact another site.
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join(';');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CSP,
  // Cross-origin isolation (COEP) would block the provider's redirects back to us.
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'same-origin',
  // Production serves https only (APP_BASE_URL, or loopback): browsers then keep to https for a year, so a
  // link or a typed http:// address never goes out in the clear first. Ignored when received over http (dev).
  // Not includeSubDomains: the app's host may have neighbours below it that the app cannot speak for.
  'strict-transport-security': 'max-age=31536000',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  // As frame-ancestors 'none', for browsers that know only this header.
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});

/** Sets the fixed headers first thing, so every answer carries them, early refusals included. */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    done();
  });
}
