import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodedBody, readCapped } from '../../src/fetch/request.js';

/** A source that counts how many bytes its reader pulled out of it. */
function countingSource(chunks: Iterable<Buffer>): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const stream = Readable.from(
    (function* () {
      for (const chunk of chunks) {
        pulled += chunk.length;
        yield chunk;
      }
    })(),
    { objectMode: true, highWaterMark: 1 },
  );
  return { stream, pulled: () => pulled };
}

function* repeat(chunk: Buffer, times: number): Generator<Buffer> {
  for (let i = 0; i < times; i += 1) yield chunk;
}

/** decodedBody reads only the headers and the stream of a response. */
function asResponse(stream: Readable, headers: Record<string, string>): IncomingMessage {
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

describe('readCapped', () => {
  it('keeps exactly the limit of a longer body and stops pulling from it', async () => {
    const source = countingSource(repeat(Buffer.alloc(64 * 1024, 'a'), 1024)); // 64 MB offered
    const body = await readCapped(source.stream, 1024 * 1024);
    expect(body.capped).toBe(true);
    expect(body.bytes.length).toBe(1024 * 1024);
    expect(source.pulled()).toBeLessThan(2 * 1024 * 1024);
    expect(source.stream.destroyed).toBe(true);
  });

  it('keeps a body of exactly the limit whole, and says it was not capped', async () => {
    const body = await readCapped(countingSource(repeat(Buffer.alloc(1024, 'a'), 32)).stream, 32 * 1024);
    expect(body).toEqual({ bytes: Buffer.alloc(32 * 1024, 'a'), capped: false });
  });

  it('stops as soon as the reader has enough', async () => {
    const source = countingSource(repeat(Buffer.alloc(1024, 'a'), 1024));
    let seen = 0;
    const body = await readCapped(source.stream, 1024 * 1024, () => ++seen === 3);
    expect(body).toEqual({ bytes: Buffer.alloc(3 * 1024, 'a'), capped: false });
    expect(source.pulled()).toBeLessThan(64 * 1024);
  });
});

describe('decodedBody', () => {
  it('inflates a gzip bomb only as far as the cap, reading a sliver of the compressed stream', async () => {
    const member = gzipSync(Buffer.alloc(1024 * 1024)); // a megabyte of zeros in about a kilobyte
    const compressed = Buffer.concat(Array.from({ length: 1024 }, () => member)); // 1 GB inflated
    const chunked = countingSource(
      (function* () {
        for (let offset = 0; offset < compressed.length; offset += 4096) yield compressed.subarray(offset, offset + 4096);
      })(),
    );
    const body = await readCapped(decodedBody(asResponse(chunked.stream, { 'content-encoding': 'gzip' })), 1024 * 1024);
    expect(body.capped).toBe(true);
    expect(body.bytes.length).toBe(1024 * 1024);
    // A megabyte of output needs about one member; allow generous read-ahead, far short of the 1 MB bomb.
    expect(chunked.pulled()).toBeLessThan(compressed.length / 8);
  });

  it('passes an identity body through untouched, and refuses an encoding it did not offer', async () => {
    const plain = countingSource(repeat(Buffer.from('<title>x</title>'), 1)).stream;
    expect(decodedBody(asResponse(plain, {}))).toBe(plain);
    expect(() => decodedBody(asResponse(countingSource([]).stream, { 'content-encoding': 'compress' }))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CONTENT_ENCODING' }),
    );
  });
});
