import { describe, expect, it } from 'vitest';
import { cspProblems, signIn, uniqueUser, useStack } from './harness.js';

const { session: current } = useStack();

const STRICT = "default-src 'self'; script-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'";

// Every test relies on these checks finding nothing; here each is shown to find something.
describe('the checks every test relies on', () => {
  it('the production app sends a strict Content-Security-Policy on every kind of page', async () => {
    const session = current();
    session.expectErrorStatus(404, '/no-such-page');
    const page = await session.newPage();
    const anonymous = await page.goto(`${session.baseUrl}/`);
    expect(cspProblems((await anonymous!.allHeaders())['content-security-policy'])).toEqual([]);

    await signIn(page, session.baseUrl, uniqueUser('csp'));
    for (const path of ['/dashboard', '/bookmarks/search?q=x', '/settings', '/import', '/no-such-page']) {
      const response = await page.goto(`${session.baseUrl}${path}`);
      const headers = await response!.allHeaders();
      expect(headers['content-security-policy-report-only'], path).toBeUndefined();
      expect(cspProblems(headers['content-security-policy']), path).toEqual([]);
      expect(headers['content-security-policy'], path).toMatch(/(^|;)\s*script-src 'self'\s*(;|$)/);
    }
  });

  it('cspProblems refuses a missing or weakened policy', () => {
    expect(cspProblems(STRICT)).toEqual([]);
    expect(cspProblems(undefined)).toEqual(['no Content-Security-Policy header']);
    expect(cspProblems(STRICT.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"))).toEqual(["script-src allows 'unsafe-inline'"]);
    expect(cspProblems(STRICT.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'"))).toEqual(["script-src allows 'unsafe-eval'"]);
    expect(cspProblems(STRICT.replace("script-src 'self'", "script-src 'self' https:"))).toEqual(['script-src allows https:']);
    expect(cspProblems("default-src 'self' 'unsafe-inline'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'")).toEqual([
      "script-src allows 'unsafe-inline'",
    ]);
    expect(cspProblems(STRICT.replace("frame-ancestors 'none'", "frame-ancestors 'self'"))).toEqual(["frame-ancestors is not 'none': 'self'"]);
    expect(cspProblems(STRICT.replace("; object-src 'none'", ''))).toEqual(["object-src is not 'none': missing"]);
    expect(cspProblems(STRICT.replace("; base-uri 'none'", ''))).toEqual(["base-uri is not 'none': missing"]);
  });

  it('catches a CSP violation, an unexpected error answer, a broken stylesheet and a request off the machine', async () => {
    const session = current();
    session.expectErrorStatus(404, '/expected-to-be-missing');
    // Allowed for a page or an htmx request, never for a stylesheet.
    session.expectErrorStatus(404, '/static/missing.css');
    const page = await session.signedInPage(uniqueUser('canary'));
    expect(await session.takeProblems()).toEqual([]);

    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
    });
    await expect.poll(() => session.problems.join('\n')).toMatch(/^CSP violation on .*script-src/m);
    await expect.poll(() => session.problems.join('\n')).toMatch(/^console error on .*inline script violates .*Content Security Policy/m);
    expect(await page.evaluate(() => (window as unknown as { inlineRan?: boolean }).inlineRan)).toBeUndefined();
    expect(await session.takeProblems()).toHaveLength(2);

    const statuses = await page.evaluate(async () => [
      (await fetch('/expected-to-be-missing')).status,
      (await fetch('/not-expected-to-be-missing')).status,
    ]);
    expect(statuses).toEqual([404, 404]);
    await expect.poll(() => session.problems.length).toBeGreaterThan(0);
    expect(await session.takeProblems()).toEqual(['fetch GET /not-expected-to-be-missing answered 404']);

    await page.evaluate(() => {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = '/static/missing.css';
      document.head.append(link);
    });
    // The 404 page is HTML, which nosniff refuses as a stylesheet: Chromium aborts the load.
    await expect.poll(() => session.problems.join('\n')).toMatch(/^stylesheet GET http:\/\/127\.0\.0\.1:\d+\/static\/missing\.css failed/m);
    await expect.poll(() => session.problems.join('\n')).toMatch(/^console error on .*Refused to apply style/m);
    expect(await session.takeProblems()).toHaveLength(2);

    // --host-resolver-rules: only 127.0.0.1 resolves, so nothing can quietly reach another machine.
    await expect(page.goto('http://example.com/')).rejects.toThrow(/ERR_NAME_NOT_RESOLVED/);
    expect(await session.takeProblems()).toEqual(['document GET http://example.com/ failed: net::ERR_NAME_NOT_RESOLVED']);
  });

  it('every stylesheet, script and icon a page links answers 200 with its proper type', async () => {
    const session = current();
    session.expectErrorStatus(404, '/no-such-page');
    const page = await session.newPage();
    await page.goto(`${session.baseUrl}/`);
    await signIn(page, session.baseUrl, uniqueUser('assets'));
    const types: Record<string, RegExp> = { stylesheet: /^text\/css/, icon: /^image\//, script: /javascript/ };
    const checked: string[] = [];
    for (const path of ['/', '/dashboard', '/settings', '/import', '/no-such-page']) {
      await page.goto(`${session.baseUrl}${path}`);
      const assets = await page.evaluate(() => [
        ...[...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"], link[rel="icon"]')].map((link) => ({ kind: link.rel, url: link.href })),
        ...[...document.querySelectorAll<HTMLScriptElement>('script[src]')].map((script) => ({ kind: 'script', url: script.src })),
      ]);
      expect(assets.map((asset) => asset.kind).sort(), path).toEqual(['icon', 'script', 'script', 'stylesheet']);
      for (const asset of assets) {
        const response = await page.request.get(asset.url);
        expect(response.status(), `${asset.url} on ${path}`).toBe(200);
        expect(response.headers()['content-type'], asset.url).toMatch(types[asset.kind]!);
        checked.push(new URL(asset.url).pathname);
      }
    }
    expect(new Set(checked)).toEqual(new Set(['/static/app.css', '/static/favicon.svg', '/vendor/htmx.min.js', '/static/app.js']));
  });
});
