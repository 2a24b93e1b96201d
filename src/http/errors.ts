import type { FastifyReply, FastifyRequest } from 'fastify';
import { isFragmentRequest } from './htmx.js';

/** Headings and messages for the statuses users meet; anything else reads as the 4xx or 5xx default. */
const ERROR_TEXTS: Record<number, { heading: string; message: string }> = {
  400: { heading: 'Bad request', message: 'That request could not be understood.' },
  401: { heading: 'Please sign in', message: 'Sign in to see this page.' },
  403: { heading: 'Not allowed', message: 'That request is not allowed.' },
  404: { heading: 'Not found', message: 'There is nothing here, or it is not yours to see.' },
  405: { heading: 'Not allowed', message: 'That kind of request is not accepted here.' },
  410: { heading: 'Gone', message: 'That is no longer available.' },
  413: { heading: 'Too large', message: 'That request was larger than this app accepts.' },
  415: { heading: 'Unsupported', message: 'That kind of request body is not accepted here.' },
  429: { heading: 'Slow down', message: 'Too many requests. Please wait a moment and try again.' },
  500: { heading: 'Something went wrong', message: 'Something went wrong on our side. Please try again.' },
  503: { heading: 'Please try again shortly', message: 'The app cannot reach its database right now. Please try again in a moment.' },
};

export function errorText(status: number): { heading: string; message: string } {
  return ERROR_TEXTS[status] ?? ERROR_TEXTS[status >= 500 ? 500 : 400]!;
}

/**
 * The one way an HTML route answers an error: a full page for browsers, and for
 * htmx a notice in the page's #notice region (layout.njk lets htmx swap error
 * statuses, and this retargets them, so no error lands inside a card or a list).
 */
export async function renderError(request: FastifyRequest, reply: FastifyReply, status: number, message?: string, heading?: string): Promise<string> {
  const text = errorText(status);
  reply.code(status);
  if (isFragmentRequest(request)) {
    reply.header('HX-Retarget', '#notice').header('HX-Reswap', 'innerHTML');
    return reply.viewAsync('partials/notice.njk', { message: message ?? text.message });
  }
  return reply.viewAsync('pages/error.njk', { heading: heading ?? text.heading, message: message ?? text.message, user: request.user });
}

/** Thrown where an owner-scoped lookup finds nothing: the error handler answers 404, and a missing id reads exactly like someone else's. */
export class NotFoundError extends Error {
  readonly statusCode = 404;
  constructor() {
    super('Not found');
    this.name = 'NotFoundError';
  }
}
