import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { ANSWER_BYTES_MIN_LENGTH, registerAnswerBytes } from '../../src/http/answer-bytes.js';
import { as, parseFragment, setupBookmark, useSignedInApp } from '../helpers.js';

/**
 * Rendered answers leave as bytes encoded once (src/http/answer-bytes.ts): the same bytes and
 * the same Content-Length as the string would have had, whatever the characters.
 */
const WIDE_TEXT = 'Größe · 東京 · emoji 🔖 · ';

describe('the onSend hook that encodes answers', () => {
  let bare: FastifyInstance | undefined;
  afterEach(async () => {
    await bare?.close();
    bare = undefined;
  });

  it('hands later hooks bytes for a long string and leaves a short one, and a buffer, as they are; over HTTP the lengths and bytes are exact', async () => {
    bare = Fastify();
    const long = WIDE_TEXT.repeat(Math.ceil(ANSWER_BYTES_MIN_LENGTH / WIDE_TEXT.length) + 1);
    const short = WIDE_TEXT;
    const buffer = Buffer.from(long, 'utf8');
    bare.get('/long', async (_request, reply) => reply.type('text/html; charset=utf-8').send(long));
    bare.get('/short', async (_request, reply) => reply.type('text/html; charset=utf-8').send(short));
    bare.get('/buffer', async (_request, reply) => reply.type('application/octet-stream').send(buffer));
    registerAnswerBytes(bare);
    const seenByLaterHook = new Map<string, unknown>();
    bare.addHook('onSend', async (request, _reply, payload) => {
      seenByLaterHook.set(request.url, payload);
      return payload;
    });
    const address = await bare.listen({ host: '127.0.0.1', port: 0 });

    for (const [path, expected] of [['/long', long], ['/short', short]] as const) {
      const response = await fetch(`${address}${path}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.equals(Buffer.from(expected, 'utf8'))).toBe(true);
      expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(expected, 'utf8'));
    }
    const sentBuffer = await fetch(`${address}/buffer`);
    expect(Buffer.from(await sentBuffer.arrayBuffer()).equals(buffer)).toBe(true);

    expect(Buffer.isBuffer(seenByLaterHook.get('/long'))).toBe(true);
    expect(seenByLaterHook.get('/short')).toBe(short);
    expect(seenByLaterHook.get('/buffer')).toBe(buffer);
  });
});

describe('pages and fragments through the app', () => {
  const ctx = useSignedInApp();

  it('a search page of wide characters arrives whole, its Content-Length its UTF-8 length, and still revalidates', async () => {
    for (let i = 0; i < 12; i++) await setupBookmark(ctx.app.db, 'alice', { url: `https://example.com/${i}`, title: `${WIDE_TEXT}${i}`, tags: ['größe'] });
    const answer = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=gr');
    expect(answer.statusCode).toBe(200);
    expect(answer.rawPayload.length).toBeGreaterThan(ANSWER_BYTES_MIN_LENGTH);
    expect(Number(answer.headers['content-length'])).toBe(answer.rawPayload.length);
    const titles = [...parseFragment(answer.body).querySelectorAll('.card .card-title')].map((title) => title.textContent?.trim());
    expect(titles).toHaveLength(12);
    for (const title of titles) expect(title).toContain(WIDE_TEXT.trim());

    const again = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=gr', { headers: { 'if-none-match': String(answer.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);

    const dashboard = await as(ctx, 'alice').get('/dashboard');
    expect(Number(dashboard.headers['content-length'])).toBe(dashboard.rawPayload.length);
    expect(dashboard.body).toContain('東京');
  });
});
