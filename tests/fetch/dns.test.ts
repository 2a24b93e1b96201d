import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTarget, dnsResolver, fetchPageMetadata } from '../../src/fetch/index.js';

/**
 * A name server on 127.0.0.1 for the tests: it answers A and AAAA queries from `records`, and
 * counts the queries it gets; `silent` ones it never answers, as a hostile domain's server may not.
 */
async function startNameServer(records: Record<string, { a?: string[]; aaaa?: string[] }>, silent = false) {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (query, peer) => {
    // The question: labels from byte 12, then its type and class.
    let end = 12;
    const labels: string[] = [];
    while (query[end]! !== 0) {
      labels.push(query.subarray(end + 1, end + 1 + query[end]!).toString('latin1'));
      end += query[end]! + 1;
    }
    const type = query.readUInt16BE(end + 1);
    end += 5;
    const name = labels.join('.').toLowerCase();
    queries.push(`${name} ${type === 1 ? 'A' : type === 28 ? 'AAAA' : type}`);
    if (silent) return;
    const record = records[name];
    const addresses = !record ? [] : type === 1 ? (record.a ?? []) : type === 28 ? (record.aaaa ?? []) : [];
    const answers = addresses.map((address) => {
      const data = type === 1 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
      const answer = Buffer.alloc(12);
      answer.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      answer.writeUInt16BE(type, 2);
      answer.writeUInt16BE(1, 4); // IN
      answer.writeUInt32BE(60, 6); // TTL
      answer.writeUInt16BE(data.length, 10);
      return Buffer.concat([answer, data]);
    });
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // the query's id
    header.writeUInt16BE(record ? 0x8180 : 0x8183, 2); // a response; NXDOMAIN for a name it does not know
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, query.subarray(12, end), ...answers]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const server = { address: `127.0.0.1:${socket.address().port}`, queries, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
  servers.push(server);
  return server;
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const all = [...groups(head!), ...Array(8 - groups(head!).length - groups(tail).length).fill('0'), ...groups(tail)];
  return Buffer.from(all.flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff]));
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const check = (url: string, resolver: ReturnType<typeof dnsResolver>) => checkTarget(new URL(url), { resolver }, AbortSignal.timeout(3000));

describe('the DNS lookups of pages to fetch', () => {
  it('answers every address of both families, and the SSRF guard checks each', async () => {
    const nameServer = await startNameServer({
      'news.example': { a: ['93.184.216.34'], aaaa: ['2606:2800:220:1::1'] },
      'v4only.example': { a: ['93.184.216.35'] },
      'inside.example': { a: ['93.184.216.36', '10.0.0.7'] },
    });
    const resolver = dnsResolver([nameServer.address]);
    expect(await check('http://news.example/', resolver)).toMatchObject({ ok: true, addresses: ['93.184.216.34', '2606:2800:220:1::1'] });
    expect(await check('http://v4only.example/', resolver)).toMatchObject({ ok: true, addresses: ['93.184.216.35'] });
    expect(await check('http://inside.example/', resolver)).toMatchObject({ ok: false, reason: 'blocked', why: 'address', address: '10.0.0.7' });
    expect(await check('http://missing.example/', resolver)).toEqual({ ok: false, reason: 'network_error', code: 'ENOTFOUND' });
  });

  it('stop at the deadline against a name server that never answers, asking it nothing more, and hold no thread meanwhile', async () => {
    const silent = await startNameServer({}, true);
    const resolver = dnsResolver([silent.address]);
    // Eight lookups at once, more than libuv's four threads, each with a deadline of half a second.
    const stalled = Promise.all(Array.from({ length: 8 }, (_, i) => fetchPageMetadata(`http://slow${i}.example/`, { resolver, timeoutMs: 500 })));
    // Meanwhile getaddrinfo (libuv's threads) answers at once: they are not held.
    const started = performance.now();
    await lookup('localhost');
    expect(performance.now() - started).toBeLessThan(400);
    expect(await stalled).toEqual(Array.from({ length: 8 }, () => ({ ok: false, reason: 'timeout' })));
    const asked = silent.queries.length;
    expect(asked).toBe(16); // an A and an AAAA query each
    // Cancelled: no retry comes after the deadline (one would come 2 s after each first query).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(silent.queries.length).toBe(asked);
  });
});
