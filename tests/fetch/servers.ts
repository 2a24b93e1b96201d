import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { fetchOptionsFromConfig, type FetchOptions, type Resolver } from '../../src/fetch/index.js';

export const APP_BASE_URL = 'https://bookmarks.example.com';

/** A real HTTP server on loopback that records every connection and request it receives. */
export interface TestServer {
  host: string;
  port: number;
  /** http://host:port */
  origin: string;
  connections: number;
  requests: { url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

const open: TestServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

/** Closed after each test, with any connection a handler left hanging. */
export async function startServer(handler: http.RequestListener, options: { host?: string; port?: number } = {}): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((request, response) => {
    record.requests.push({ url: request.url ?? '', headers: request.headers });
    handler(request, response);
  });
  const record: TestServer = {
    host,
    port: 0,
    origin: '',
    connections: 0,
    requests: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', () => {
    record.connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  record.port = (server.address() as AddressInfo).port;
  record.origin = `http://${host}:${record.port}`;
  open.push(record);
  return record;
}

/** Serves one fixed answer for every request. */
export function serve(status: number, headers: http.OutgoingHttpHeaders, body: string | Buffer = ''): http.RequestListener {
  return (_request, response) => {
    response.writeHead(status, headers);
    response.end(body);
  };
}

/** The fetch options the app would build from FETCH_ALLOW_HOSTS, through the real config loader. */
export function optionsAllowing(allowHosts: string, extra: Partial<FetchOptions> = {}): FetchOptions {
  const config = loadConfig({ SESSION_SECRET: 'a'.repeat(64), APP_BASE_URL, FETCH_ALLOW_HOSTS: allowHosts });
  return { ...fetchOptionsFromConfig(config), ...extra };
}

/** Allows exactly these servers' host:port. */
export function allowing(servers: TestServer[], extra: Partial<FetchOptions> = {}): FetchOptions {
  return optionsAllowing(servers.map((server) => `${server.host}:${server.port}`).join(','), extra);
}

/** A resolver from a fixed table; tests never ask real DNS. */
export function resolverFrom(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string): Promise<string[]> => {
    calls.push(hostname);
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`no test answer for ${hostname}`), { code: 'ENOTFOUND' });
    return answers;
  };
  return Object.assign(resolver, { calls });
}

/**
 * Writes `chunk` again and again with backpressure until the client goes away or
 * `maxBytes` were handed over; resolves with how many bytes that was. Never ends the body.
 */
export function pump(response: http.ServerResponse, chunk: Buffer, maxBytes: number): Promise<number> {
  return new Promise((resolve) => {
    let written = 0;
    response.on('close', () => resolve(written));
    const write = (): void => {
      while (written < maxBytes && !response.destroyed) {
        written += chunk.length;
        if (!response.write(chunk)) {
          response.once('drain', write);
          return;
        }
      }
      resolve(written);
    };
    write();
  });
}
