import { describe, expect, it } from 'vitest';
import { html, HTMX, SAME_ORIGIN, useSignedInApp } from '../helpers.js';

/** Cases the fuzz suite found, kept as plain regression tests. */
const t = useSignedInApp();

describe('found by fuzzing', () => {
  it.each([
    ['no boundary in the content type', 'multipart/form-data', '--XfuzzBoundary--\r\n'],
    ['a boundary that is not in the body', 'multipart/form-data; boundary=nope', '--XfuzzBoundary\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\n\r\nx\r\n--XfuzzBoundary--\r\n'],
    ['a part cut off before its end', 'multipart/form-data; boundary=XfuzzBoundary', '--XfuzzBoundary\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\n\r\n<A HREF="https://a.example/">a'],
  ])('POST /import with %s: a 4xx with the import form, not a 500', async (_name, contentType, payload) => {
    for (const headers of [HTMX, SAME_ORIGIN]) {
      const response = await t.app.inject({ method: 'POST', url: '/import', headers: { cookie: t.alice, ...headers, 'content-type': contentType }, payload });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(html(`<div>${response.body}</div>`).querySelector('#import-form')).not.toBeNull();
    }
  });
});
