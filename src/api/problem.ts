import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableError } from '../db/database.js';

/** One thing wrong with a request: the field (or `body`, `path`), where it was, and why. */
export interface InvalidParam {
  name: string;
  in: string;
  reason: string;
}

/** RFC 9457 problem details. Extension members ride along beside the standard ones. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  invalidParams?: InvalidParam[];
  existingId?: number;
}

export const PROBLEM_TYPES = {
  invalidRequest: 'tag:bookmarks,2026:problem/invalid-request',
  invalidFields: 'tag:bookmarks,2026:problem/invalid-fields',
  duplicateUrl: 'tag:bookmarks,2026:problem/duplicate-url',
} as const;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An expected refusal: thrown from hooks or handlers and rendered by the api error handler. */
export class ApiProblem extends Error {
  readonly statusCode: number;
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail ?? problem.title);
    this.statusCode = problem.status;
  }
}

export function problem(status: number, detail?: string, extra: Partial<Problem> = {}): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? TITLES[status >= 500 ? 500 : 400]!, status, ...(detail ? { detail } : {}), ...extra };
}

/** A 400 naming what is wrong: schema validation's and every other, so clients read one kind of 400. */
export function invalidRequest(invalidParams: InvalidParam[], detail = 'The request does not match the schema.'): Problem {
  return problem(400, detail, { type: PROBLEM_TYPES.invalidRequest, invalidParams });
}

export function sendProblem(reply: FastifyReply, body: Problem, headers: Record<string, string> = {}): FastifyReply {
  // A string payload bypasses the response serializer: the body is exactly this object.
  return reply.code(body.status).headers(headers).type('application/problem+json').send(JSON.stringify(body));
}

const DETAILS: Record<number, string> = {
  413: 'The request body is larger than this API accepts.',
  414: 'The address is longer than this API accepts.',
  415: 'Send the request body as application/json.',
  429: 'Too many requests for this token. Wait for the number of seconds in Retry-After.',
};

/** Maps any error reaching the api plugin to a problem; real bugs are logged and stay vague. */
export function errorToProblem(error: FastifyError | ApiProblem, request: FastifyRequest): { body: Problem; headers: Record<string, string> } {
  if (error instanceof ApiProblem) return { body: error.problem, headers: error.headers };
  if (error.validation) {
    const where = error.validationContext ?? 'request';
    const invalidParams = error.validation.map((issue) => {
      // A missing or an unknown field is reported on its parent: name the field itself.
      const { missingProperty, additionalProperty } = issue.params as { missingProperty?: string; additionalProperty?: string };
      const field = missingProperty ?? additionalProperty;
      const path = `${issue.instancePath}${field === undefined ? '' : `/${field}`}`.replace(/^\//, '').replaceAll('/', '.');
      const reason = additionalProperty === undefined ? (issue.message ?? 'is invalid') : 'is not a field of this request';
      return { name: path || where, in: where, reason };
    });
    return { body: invalidRequest(invalidParams), headers: {} };
  }
  // The router could not decode the path (%zz, %FF, a cut-off UTF-8 sequence) before matching a route, so no parameter's name is known.
  if (error.code === 'FST_ERR_BAD_URL') {
    return { body: invalidRequest([{ name: 'path', in: 'path', reason: 'cannot be decoded: each % must begin an escape, and the escapes must spell UTF-8' }], 'The address could not be read.'), headers: {} };
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (error instanceof DatabaseUnavailableError) {
    request.log.error({ err: error.cause }, 'the database is not answering');
    return { body: problem(503, 'The database is not answering. Try again shortly.'), headers: { 'Retry-After': '5' } };
  }
  if (status >= 500) {
    request.log.error({ err: error }, 'api request failed');
    return { body: problem(500, 'Something went wrong on our side.'), headers: {} };
  }
  request.log.info({ code: error.code, status }, 'api request refused');
  const detail = DETAILS[status] ?? (status === 400 ? 'The request could not be understood.' : undefined);
  return { body: problem(status, detail), headers: {} };
}
