import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorToProblem, problem, sendProblem } from '../api/problem.js';
import { isApiPath } from '../api/scope.js';
import { isFragmentRequest } from './htmx.js';
import type { SecurityHeaders } from './security.js';

const ERROR_MESSAGES: Record<number, [string, string]> = {
  400: ['Bad request', 'That request could not be understood.'],
  404: ['Not found', 'There is nothing here, or it is not yours to see.'],
  405: ['Not allowed', 'This address does not accept that kind of request.'],
  408: ['Too slow', 'That request took too long to arrive. Please try again.'],
  413: ['Too large', 'That request was larger than this app accepts.'],
  414: ['Address too long', 'That address is longer than this app accepts.'],
  415: ['Unsupported', 'That kind of request body is not accepted here.'],
  429: ['Slow down', 'Too many requests. Please wait a moment and try again.'],
  431: ['Too large', 'That request was larger than this app accepts.'],
  500: ['Something went wrong', 'Something went wrong on our side. Please try again.'],
};

/** Heading and message of the error page for a status. */
export function errorText(status: number): [string, string] {
  return ERROR_MESSAGES[status] ?? ERROR_MESSAGES[status >= 500 ? 500 : 400]!;
}

const ROUTED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * For a request that reached a not-found handler: the methods routes take at its path when
 * none takes its own (a 405, listed in Allow), or null for a 404: no route has the path, or
 * the route answered not found itself (another user's id).
 */
export function methodsAllowedInstead(app: FastifyInstance, request: FastifyRequest): string[] | null {
  const allowed = ROUTED_METHODS.filter((method) => app.findRoute({ method, url: request.url }) !== null);
  return allowed.length > 0 && !allowed.includes(request.method as (typeof ROUTED_METHODS)[number]) ? allowed : null;
}

/** The friendly error page (for the handler to return), or its one-line message for an htmx request (htmx swaps no error answer). */
export async function sendErrorPage(request: FastifyRequest, reply: FastifyReply, status: number): Promise<FastifyReply | string> {
  const [heading, message] = errorText(status);
  reply.code(status);
  if (isFragmentRequest(request)) return reply.type('text/plain; charset=utf-8').send(message);
  return reply.viewAsync('pages/error.njk', { heading, message, user: request.user });
}

/**
 * Fastify's frameworkErrors: a URL the router cannot decode, or an over-long parameter. These
 * answer before any hook runs, on a bare request and reply, so the fixed headers are set here.
 * Nothing of what was sent is echoed.
 */
export function frameworkErrorHandler(app: () => FastifyInstance, headers: SecurityHeaders) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    reply.headers(headers).header('Vary', 'HX-Request');
    const answer = async (): Promise<unknown> => {
      if (isApiPath(request.url)) {
        const { body } = errorToProblem(error, request);
        return sendProblem(reply, body);
      }
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      request.log.info({ code: error.code, status }, 'request refused before routing');
      const [heading, message] = errorText(status);
      reply.code(status);
      if (isFragmentRequest(request)) return reply.type('text/plain; charset=utf-8').send(message);
      return reply.type('text/html; charset=utf-8').send(await app().view('pages/error.njk', { heading, message, user: null }));
    };
    answer().catch((failure: unknown) => {
      request.log.error({ err: failure }, 'framework error answer failed');
      if (!reply.sent) reply.code(500).type('text/plain; charset=utf-8').send(errorText(500)[1]);
    });
  };
}

interface ClientErrorPages {
  /** The error page for each status a client error can answer, rendered once the app is ready. */
  html: Map<number, string>;
}

/** Renders the pages the client-error handler writes, which must be ready before a socket errs. */
export async function renderClientErrorPages(app: FastifyInstance): Promise<ClientErrorPages> {
  const html = new Map<number, string>();
  for (const status of [400, 408, 431]) {
    const [heading, message] = errorText(status);
    html.set(status, await app.view('pages/error.njk', { heading, message, user: null }));
  }
  return { html };
}

/**
 * Fastify's clientErrorHandler: the HTTP parser refused the request (a method it does not
 * know, broken or oversized headers), so there is no request object, only the socket. The
 * answer is written by hand, with the same headers and page as the app's; the request line's
 * path, when it can be read, decides between the page and problem+json.
 */
export function clientErrorHandler(pages: () => ClientErrorPages | undefined, headers: SecurityHeaders) {
  return function (this: FastifyInstance, error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    this.log.debug({ code: error.code, status }, 'unreadable request');
    const requestLine = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 2048).split('\r\n', 1)[0]! : '';
    const api = isApiPath(requestLine.split(' ')[1] ?? '');
    const page = pages()?.html.get(status);
    const [type, body] =
      api || page === undefined
        ? ['application/problem+json; charset=utf-8', JSON.stringify(problem(status, errorText(status)[1]))]
        : ['text/html; charset=utf-8', page];
    if (socket.writable) {
      const lines = [
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        'vary: HX-Request',
        `content-type: ${type}`,
        `content-length: ${Buffer.byteLength(body)}`,
        'connection: close',
      ];
      // Closed once written: the parser cannot read another request on this connection.
      socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
    } else {
      socket.destroy();
    }
  };
}
