/**
 * The headers @fastify/helmet 13 sent with this app's options, recorded before the app
 * computed them itself: every one must still be sent, with the same value. One change
 * since: img-src lost https: once site icons were served by the app itself (issue 13),
 * and form-action lost the provider's origin once sign-out's post led to a page of ours.
 * One addition: Strict-Transport-Security (helmet's was turned off), for a year.
 */
export function expectedHeaders(): Record<string, string> {
  return {
    'content-security-policy':
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';font-src 'self';" +
      "form-action 'self';frame-ancestors 'none';base-uri 'none';object-src 'none'",
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'same-origin',
    'strict-transport-security': 'max-age=31536000',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'DENY',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };
}

/** Of a response's headers (lowercase names): the expected ones, and any other that looks like a security header. */
export function securityHeadersOf(headers: Record<string, unknown>, expected: Record<string, string>): Record<string, unknown> {
  const names = Object.keys(headers).filter(
    (name) => name in expected || /^(content-security-policy|cross-origin-|permissions-policy|strict-transport-security|x-(?!ratelimit-))/.test(name),
  );
  return Object.fromEntries(names.map((name) => [name, headers[name]]));
}
