import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { checkTarget, type CheckedTarget, type GuardOptions } from './guard.js';
import type { FetchFailure } from './result.js';

export interface FetchOptions extends GuardOptions {
  /** Sent on every request; name the app and where it runs (see userAgentFor). */
  userAgent?: string;
  /** One deadline for the whole chain: DNS, every redirect hop and the body. */
  timeoutMs?: number;
}

export const DEFAULT_USER_AGENT = 'BookmarksBot/0.1';
export const DEFAULT_TIMEOUT_MS = 5000;
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export type OpenedResponse = { ok: true; url: URL; response: http.IncomingMessage };

/**
 * Hands Node's socket the checked addresses instead of asking DNS again: the pin that
 * makes the checked address the connected one (the socket may still try each of them,
 * as happy eyeballs does, since every one was checked).
 */
function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const answers = addresses.map((address) => ({ address, family: isIP(address) }));
  return (_hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const wanted = family === 4 || family === 6 ? answers.filter((answer) => answer.family === family) : answers;
    process.nextTick(() => {
      if (options.all) return callback(null, wanted);
      const first = wanted[0];
      if (first) return callback(null, first.address, first.family);
      callback(Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' }), '');
    });
  };
}

function send(target: CheckedTarget, userAgent: string, accept: string, signal: AbortSignal): Promise<http.IncomingMessage> {
  const { url } = target;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      {
        host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        // Nothing else: no Cookie, no Authorization, whatever a server set or a URL held.
        headers: { Host: url.host, 'User-Agent': userAgent, Accept: accept, 'Accept-Encoding': ACCEPTED_ENCODINGS },
        agent: false,
        lookup: pinnedLookup(target.addresses),
        signal,
      },
      (response) => {
        // Errors surface through the reader or the deadline; this keeps a late one from crashing the process.
        response.on('error', () => {});
        resolve(response);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/**
 * GETs `start`, following at most MAX_REDIRECTS redirects, and checks every hop (scheme,
 * credentials, addresses) before connecting to it. Answers the first non-redirect 2xx
 * response, still unread; the caller reads and destroys it.
 */
async function openResponse(
  start: URL,
  options: FetchOptions,
  accept: string,
  signal: AbortSignal,
): Promise<OpenedResponse | FetchFailure> {
  let url = start;
  for (let redirects = 0; ; redirects += 1) {
    const target = await checkTarget(url, options, signal);
    if (!target.ok) return target;
    const response = await send(target, options.userAgent ?? DEFAULT_USER_AGENT, accept, signal);
    const status = response.statusCode ?? 0;
    if (status >= 200 && status <= 299) return { ok: true, url, response };
    response.destroy();
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(status) || location === undefined) return { ok: false, reason: 'http_error', status };
    if (redirects === MAX_REDIRECTS) return { ok: false, reason: 'too_many_redirects' };
    try {
      url = new URL(location, url);
    } catch {
      return { ok: false, reason: 'http_error', status };
    }
    url.hash = '';
  }
}

/**
 * Runs one fetch under a single deadline. Errors the network or the site can cause become
 * values (anything carrying an error code); an error without a code is a bug and is rethrown.
 */
async function withDeadline<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<T | FetchFailure>): Promise<T | FetchFailure> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('fetch deadline passed')), timeoutMs);
  try {
    return await run(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return { ok: false, reason: 'timeout' };
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string') return { ok: false, reason: 'network_error', code };
    throw error;
  } finally {
    clearTimeout(timer);
    // Ends any socket still open (the caller stopped reading early).
    controller.abort();
  }
}

/**
 * GETs `input` through the guard under one deadline (DEFAULT_TIMEOUT_MS unless the options
 * say otherwise) and hands the first 2xx response to `read`, destroying it afterwards.
 * What pages and icons share; each reads its own kind of body.
 */
export async function fetchGuarded<T>(
  input: string,
  options: FetchOptions,
  accept: string,
  read: (url: URL, response: http.IncomingMessage) => Promise<T | FetchFailure>,
): Promise<T | FetchFailure> {
  let start: URL;
  try {
    start = new URL(input);
  } catch {
    return { ok: false, reason: 'invalid_url' };
  }
  return withDeadline(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, async (signal) => {
    const opened = await openResponse(start, options, accept, signal);
    if (!opened.ok) return opened;
    try {
      return await read(opened.url, opened.response);
    } finally {
      opened.response.destroy();
    }
  });
}

/**
 * What a fetch offers. Not Brotli: its decoder allocates the window the sender declares, up to
 * 16 MB for a body of 38 bytes, where gzip's and deflate's is at most 32 KB.
 */
const ACCEPTED_ENCODINGS = 'gzip, deflate';

/** The body after its Content-Encoding is undone; an encoding we did not offer is an error. */
export function decodedBody(response: http.IncomingMessage): Readable {
  const coding = (response.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return response;
  const decoder =
    coding === 'gzip' || coding === 'x-gzip'
      ? zlib.createGunzip()
      : coding === 'deflate'
        ? zlib.createInflate()
        : null;
  if (!decoder) throw Object.assign(new Error(`unsupported Content-Encoding ${coding}`), { code: 'UNSUPPORTED_CONTENT_ENCODING' });
  // The reader's early stop destroys the decoder, and pipeline then the response.
  return pipeline(response, decoder, () => {});
}

export interface CappedBody {
  bytes: Buffer;
  /** True when the body went on past `limit` (bytes then holds exactly `limit` bytes). */
  capped: boolean;
}

/**
 * Reads at most `limit` bytes (after decompression, so a small compressed bomb stops at the
 * same place), or until `enough` says the rest is not needed; then stops the stream.
 */
export async function readCapped(body: AsyncIterable<Buffer>, limit: number, enough?: (chunk: Buffer) => boolean): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    if (total + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - total));
      return { bytes: Buffer.concat(chunks, limit), capped: true };
    }
    chunks.push(chunk);
    total += chunk.length;
    if (enough?.(chunk)) break;
  }
  return { bytes: Buffer.concat(chunks, total), capped: false };
}
