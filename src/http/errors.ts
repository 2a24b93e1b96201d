import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorToProblem, problem, sendProblem } from '../api/problem.js';
import { isApiPath } from '../api/scope.js';
import { isFragmentRequest } from './htmx.js';
import { SECURITY_HEADERS } from './security.js';

/** Headings and messages for the statuses users meet; anything else reads as the 4xx or 5xx default. */
const ERROR_TEXTS: Record<number, { heading: string; message: string }> = {
  400: { heading: 'Bad request', message: 'That request could not be understood.' },
  401: { heading: 'Please sign in', message: 'Sign in to see this page.' },
  403: { heading: 'Not allowed', message: 'That request is not allowed.' },
  404: { heading: 'Not found', message: 'There is nothing here, or it is not yours to see.' },
  405: { heading: 'Not allowed', message: 'This address does not accept that kind of request.' },
  408: { heading: 'Too slow', message: 'That request took too long to arrive. Please try again.' },
  410: { heading: 'Gone', message: 'That is no longer available.' },
  413: { heading: 'Too large', message: 'That request was larger than this app accepts.' },
  414: { heading: 'Address too long', message: 'That address is longer than this app accepts.' },
  415: { heading: 'Unsupported', message: 'That kind of request body is not accepted here.' },
  429: { heading: 'Slow down', message: 'Too many requests. Please wait a moment and try again.' },
  431: { heading: 'Too large', message: 'That request was larger than this app accepts.' },
  500: { heading: 'Something went wrong', message: 'Something went wrong on our side. Please try again.' },
  503: { heading: 'Please try again shortly', message: 'The app cannot reach its database right now. Please try again in a moment.' },
};

export function errorText(status: number): { heading: string; message: string } {
  return ERROR_TEXTS[status] ?? ERROR_TEXTS[status >= 500 ? 500 : 400]!;
}

/** htmx swaps error statuses (layout.njk): this sends them to the page's #notice region, never into a card or a list. */
const toNotice = (reply: FastifyReply): FastifyReply => reply.header('HX-Retarget', '#notice').header('HX-Reswap', 'innerHTML');

/**
 * The one way an HTML route answers an error: a full page for browsers, and for
 * htmx a notice in the page's #notice region.
 */
export async function renderError(request: FastifyRequest, reply: FastifyReply, status: number, message?: string, heading?: string): Promise<string> {
  const text = errorText(status);
  reply.code(status);
  if (isFragmentRequest(request)) return toNotice(reply).viewAsync('partials/notice.njk', { message: message ?? text.message });
  return reply.viewAsync('pages/error.njk', { heading: heading ?? text.heading, message: message ?? text.message, user: request.user });
}

/**
 * A 404 for something a page shows as the element `shownAs` (a card deleted in another tab):
 * htmx takes that element away (hx-swap-oob="delete") as the notice says why, so Cancel or
 * Delete on it are not refused over and over. The same answer for someone else's id, whose
 * element no page of this user shows.
 */
export async function renderGone(request: FastifyRequest, reply: FastifyReply, { elementId, message }: GoneThing): Promise<string> {
  if (!isFragmentRequest(request) || !elementId) return renderError(request, reply, 404, message);
  reply.code(404);
  return toNotice(reply).viewAsync('partials/notice.njk', { message, gone: elementId });
}

/** What a 404 says of a thing a page showed, and the element that shows it, if it should go. */
export interface GoneThing {
  elementId?: string;
  message: string;
}

/** Thrown where an owner-scoped lookup finds nothing: the error handler answers 404, and a missing id reads exactly like someone else's. */
export class NotFoundError extends Error {
  readonly statusCode = 404;
  /** `shownAs`: what to say of the missing thing a page showed, and the element to take away (renderGone). */
  constructor(readonly shownAs?: GoneThing) {
    super('Not found');
    this.name = 'NotFoundError';
  }
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

/**
 * Fastify's frameworkErrors: a URL the router cannot decode, or an over-long parameter. These
 * answer before any hook runs, on a bare request and reply, so the fixed headers are set here.
 * Nothing of what was sent is echoed.
 */
export function frameworkErrorHandler(app: () => FastifyInstance) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    reply.headers(SECURITY_HEADERS).header('Vary', 'HX-Request');
    const answer = async (): Promise<unknown> => {
      if (isApiPath(request.url)) {
        const { body } = errorToProblem(error, request);
        return sendProblem(reply, body);
      }
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      request.log.info({ code: error.code, status }, 'request refused before routing');
      const { heading, message } = errorText(status);
      reply.code(status).type('text/html; charset=utf-8');
      if (isFragmentRequest(request)) return toNotice(reply).send(await app().view('partials/notice.njk', { message }));
      return reply.send(await app().view('pages/error.njk', { heading, message, user: null }));
    };
    answer().catch((failure: unknown) => {
      request.log.error({ err: failure }, 'framework error answer failed');
      if (!reply.sent) reply.code(500).type('text/plain; charset=utf-8').send(errorText(500).message);
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
    const { heading, message } = errorText(status);
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
export function clientErrorHandler(pages: () => ClientErrorPages | undefined) {
  return function (this: FastifyInstance, error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    this.log.debug({ code: error.code, status }, 'unreadable request');
    const requestLine = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 2048).split('\r\n', 1)[0]! : '';
    const api = isApiPath(requestLine.split(' ')[1] ?? '');
    const page = pages()?.html.get(status);
    const [type, body] =
      api || page === undefined
        ? ['application/problem+json; charset=utf-8', JSON.stringify(problem(status, errorText(status).message))]
        : ['text/html; charset=utf-8', page];
    if (socket.writable) {
      const lines = [
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
        ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
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
