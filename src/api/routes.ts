import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Ajv } from 'ajv';
import { changeBookmark, deleteBookmark, saveNewBookmark } from '../bookmarks/commands.js';
import { findBookmark, findDuplicate, listTags } from '../bookmarks/queries.js';
import { decodeCursor, encodeCursor, searchBookmarks } from '../bookmarks/search-plans.js';
import { MAX_SEARCH_TERMS, parseSearch, TAG_INDEX_WORDS } from '../bookmarks/search-syntax.js';
import { parseTags, validateBookmark, type BookmarkFields, type ValidBookmark } from '../bookmarks/validation.js';
import { fillFromPage, keepIcon } from '../bookmarks/page-details.js';
import { parseHttpUrl } from '../bookmarks/urls.js';
import { databaseRateLimitStore } from '../http/rate-limit-store.js';
import { clientNetwork } from '../http/rate-limit.js';
import type { Bookmark } from '../bookmarks/bookmark.js';
import type { Db } from '../db/database.js';
import { methodsAllowedInstead } from '../http/errors.js';
import { recordTokenUse } from '../tokens/tokens.js';
import { apiOwner, authenticateBearer } from './auth.js';
import { buildOpenApi, collectRoutes, type CollectedRoute } from './openapi.js';
import { ApiProblem, errorToProblem, invalidRequest, problem, PROBLEM_TYPES, sendProblem } from './problem.js';
import {
  BookmarkChangesSchema,
  BookmarkPageSchema,
  BookmarkSchema,
  IdParamsSchema,
  NewBookmarkSchema,
  problems,
  SearchQuerySchema,
  TagListSchema,
} from './schemas.js';

export interface ApiOptions {
  /** Requests per token in each window. */
  perToken: number;
  /** Requests with a missing or bad token per address in each window. */
  failedAuthPerIp: number;
  windowMs: number;
}

interface BookmarkInput {
  url?: string;
  title?: string;
  description?: string;
  tags?: string[];
}
type IdRequest = FastifyRequest<{ Params: { id: number } }>;

export function toApiBookmark(bookmark: Bookmark) {
  return {
    id: bookmark.id,
    url: bookmark.url,
    title: bookmark.title,
    description: bookmark.description,
    tags: bookmark.tags,
    createdAt: bookmark.createdAt.toISOString(),
  };
}

/**
 * Runs the form's rules on JSON input: the fields as the form would take them, or a 422 with the
 * messages the form shows. `tagItems`: the tags sent, each item one tag; one the form would read as
 * several (words apart by a space or a comma) is refused rather than split.
 */
function validated(fields: BookmarkFields, tagItems: readonly string[] = []): ValidBookmark {
  const result = validateBookmark(fields);
  const several = tagItems.find((item) => parseTags(item).length > 1);
  if (result.ok && several === undefined) return result.value;
  const errors = { ...(result.ok ? {} : result.errors), ...(several === undefined ? {} : { tags: `“${several}” is more than one tag: send each tag as an item of its own.` }) };
  const invalidParams = Object.entries(errors).map(([name, reason]) => ({ name, in: 'body', reason: reason! }));
  throw new ApiProblem(problem(422, 'Some fields are not acceptable.', { type: PROBLEM_TYPES.invalidFields, invalidParams }));
}

function duplicateProblem(existing: Bookmark, prefix: string): ApiProblem {
  return new ApiProblem(
    problem(409, `You already saved this address as bookmark ${existing.id}.`, { type: PROBLEM_TYPES.duplicateUrl, existingId: existing.id }),
    { Location: `${prefix}/bookmarks/${existing.id}` },
  );
}

const notFound = (): ApiProblem => new ApiProblem(problem(404, 'No such bookmark among yours.'));

/** The token owner's bookmark named by :id, or the API's 404: missing and someone else's read the same. */
async function ownedBookmark(db: Db, request: FastifyRequest<{ Params: { id: number } }>): Promise<Bookmark> {
  const bookmark = await findBookmark(db, apiOwner(request), request.params.id);
  if (!bookmark) throw notFound();
  return bookmark;
}

const AUTH_PROBLEMS = [401, 429] as const;

/**
 * Bodies are checked strictly: an unknown field or a null is a 400 naming it, never
 * silently dropped or coerced to "" (Fastify's defaults, which suit query strings).
 */
const bodyValidator = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false });
const parameterValidator = new Ajv({ coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: false });

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether text is JSON at all. JSON.parse only defines a "__proto__" key as its own property, so it is safe here. */
function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const unreadableBody = (reason: string): ApiProblem => new ApiProblem(invalidRequest([{ name: 'body', in: 'body', reason }], 'The request body could not be read.'));

/** The JSON API, registered under /api/v1: bearer tokens only, problem+json errors, its own rate limit. */
export async function apiRoutes(app: FastifyInstance, options: ApiOptions): Promise<void> {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', collectRoutes(routes, app.prefix));
  app.decorateRequest('apiToken', null);
  // JSON only: a form or text body is a 415, not a body that happens to parse.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // Bytes, decoded here: Fastify's string decoding turns bytes that are not UTF-8 into U+FFFD, which would be stored.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // Many HTTP clients send Content-Type: application/json on every request, DELETE included:
    // an empty body is no body. Where a body is required, the route's schema refuses it (400).
    if (body.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      return done(unreadableBody('is not UTF-8: JSON must be sent as UTF-8'), undefined);
    }
    return parseJson(request, text, (error, value) => {
      if (!error) return done(null, value);
      // Fastify's parser says only "invalid JSON"; plain JSON.parse tells a syntax error from a key secure-json-parse refuses.
      done(unreadableBody(parsesAsJson(text) ? 'holds a __proto__ or constructor.prototype key, which this API refuses' : 'is not valid JSON'), undefined);
    });
  });
  // The same for any other media type: an empty body's Content-Type is set aside before parsing, so
  // it is no body rather than a 415 (a route's 404 or 405 stays what it is, a catch-all parser would
  // answer 415 first). Empty: a length of 0, or neither a length nor a chunked body, which HTTP/1.1 reads as none.
  app.addHook('onRequest', (request, _reply, done) => {
    const { 'content-type': type, 'content-length': length, 'transfer-encoding': chunked } = request.headers;
    if (type !== undefined && (length === '0' || (length === undefined && chunked === undefined))) delete request.raw.headers['content-type'];
    done();
  });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyValidator : parameterValidator).compile(schema));

  await app.register(rateLimit, {
    max: options.perToken,
    timeWindow: options.windowMs,
    keyGenerator: (request) => (request.apiToken ? `api:${request.apiToken.tokenHash}` : `api-ip:${clientNetwork(request.ip)}`),
    store: databaseRateLimitStore(app.counterDb),
  });
  // Guessing tokens is hopeless (256 bits), but each guess costs a lookup: cap failures per address.
  const failedAuth = app.createRateLimit({ max: options.failedAuthPerIp, timeWindow: options.windowMs, keyGenerator: (request) => `api-failed:${clientNetwork(request.ip)}` });

  // The token's last use is recorded once the answer has gone: a write, which on SQLite waits
  // for the one writer, held by an import while it stores.
  app.addHook('onResponse', async (request) => {
    if (!request.apiToken) return;
    await recordTokenUse(app.db, request.apiToken).catch((error: unknown) => request.log.warn({ err: error }, 'could not record when the token was last used'));
  });

  // An instance hook runs before the limiter's route-level hook, so limits key on the token.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public) return;
    try {
      request.apiToken = await authenticateBearer(app.db, request);
    } catch (error) {
      const limit = await failedAuth(request);
      if (!limit.isAllowed && limit.isExceeded) {
        throw new ApiProblem(problem(429, 'Too many failed sign-ins from this address. Wait for the number of seconds in Retry-After.'), {
          'Retry-After': String(Math.max(1, limit.ttlInSeconds)),
        });
      }
      throw error;
    }
  });
  app.setErrorHandler(async (error, request, reply) => {
    const { body, headers } = errorToProblem(error as Parameters<typeof errorToProblem>[0], request);
    return sendProblem(reply, body, headers);
  });
  // This scope's onRequest hook runs for unknown paths too: strangers get 401, token holders 404
  // (or 405 naming the methods the endpoint takes). Not being a route, the handler gets the token's
  // limit only when asked: else a spent token could go on asking (a token lookup each time).
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, async (request, reply) => {
    const allow = methodsAllowedInstead(app, request);
    if (!allow) return sendProblem(reply, problem(404, 'There is no such endpoint.'));
    return sendProblem(reply, problem(405, 'This endpoint does not take that method; Allow lists the ones it does.'), { Allow: allow.join(', ') });
  });

  const invalid = (name: string, reason: string) => new ApiProblem(invalidRequest([{ name, in: 'querystring', reason }]));

  /** GET /bookmarks?url=…: the owner's bookmark for that page, as a page of one or none, for extensions asking "saved already?". */
  async function lookUpAddress(owner: string, url: string, query: { q?: string; cursor?: string }) {
    if (query.q !== undefined || query.cursor !== undefined) throw invalid(query.q !== undefined ? 'q' : 'cursor', 'cannot be combined with url, which looks up one address');
    const parsed = parseHttpUrl(url.trim());
    if (!parsed) throw invalid('url', 'must be an http or https address');
    const saved = await findDuplicate(app.db, owner, parsed.href);
    return { items: saved ? [toApiBookmark(saved)] : [], total: saved ? 1 : 0, nextCursor: null };
  }

  app.get(
    '/bookmarks',
    {
      schema: {
        summary: 'List or search your bookmarks, newest first; or look up whether an address is saved',
        querystring: SearchQuerySchema,
        response: { 200: BookmarkPageSchema, ...problems(400, ...AUTH_PROBLEMS) },
      },
    },
    async (request: FastifyRequest<{ Querystring: { q?: string; limit: number; cursor?: string; url?: string } }>) => {
      const { q = '', limit, cursor, url } = request.query;
      if (url !== undefined) return lookUpAddress(apiOwner(request), url, request.query);
      const terms = parseSearch(q);
      // The search box searches the first terms and says so on the page; an API client gets no page to read that on.
      if (terms.leftOut > 0) throw invalid('q', `holds more than ${MAX_SEARCH_TERMS} words (each word of a phrase, and of a tag of up to ${TAG_INDEX_WORDS} words, counts)`);
      const page = await searchBookmarks(app.db, apiOwner(request), terms, decodeCursor(cursor), limit);
      return { items: page.items.map(toApiBookmark), total: page.total, nextCursor: page.next ? encodeCursor(page.next) : null };
    },
  );

  app.post(
    '/bookmarks',
    {
      schema: {
        summary: 'Save a bookmark',
        body: NewBookmarkSchema,
        response: { 201: BookmarkSchema, ...problems(400, ...AUTH_PROBLEMS, 409, 413, 415, 422) },
      },
    },
    async (request: FastifyRequest<{ Body: BookmarkInput }>, reply: FastifyReply) => {
      const owner = apiOwner(request);
      const { url = '', title = '', description = '', tags = [] } = request.body;
      const fields = { url, title, description, tags: tags.join(' ') };
      const value = validated(fields, tags);
      const duplicate = await findDuplicate(app.db, owner, value.url);
      if (duplicate) throw duplicateProblem(duplicate, app.prefix);
      // Checked again as it is stored: the same page may have been saved while this one was fetched.
      const outcome = await saveNewBookmark(app.db, owner, await fillFromPage(app, request, owner, fields, value));
      if ('duplicate' in outcome) throw duplicateProblem(outcome.duplicate, app.prefix);
      const created = outcome.saved;
      return reply.code(201).header('Location', `${app.prefix}/bookmarks/${created.id}`).send(toApiBookmark(created));
    },
  );

  app.get(
    '/bookmarks/:id',
    {
      schema: {
        summary: 'One bookmark',
        params: IdParamsSchema,
        response: { 200: BookmarkSchema, ...problems(400, ...AUTH_PROBLEMS, 404) },
      },
    },
    async (request: IdRequest) => toApiBookmark(await ownedBookmark(app.db, request)),
  );

  app.patch(
    '/bookmarks/:id',
    {
      schema: {
        summary: 'Change some fields of a bookmark',
        description: 'Fields left out keep their values; tags, when given, replace all tags.',
        params: IdParamsSchema,
        body: BookmarkChangesSchema,
        response: { 200: BookmarkSchema, ...problems(400, ...AUTH_PROBLEMS, 404, 409, 413, 415, 422) },
      },
    },
    async (request: FastifyRequest<{ Params: { id: number }; Body: BookmarkInput }>) => {
      const owner = apiOwner(request);
      const { url, title, description, tags } = request.body;
      // Fields left out keep what is stored as the change is written, not what was read before it.
      const outcome = await changeBookmark(app.db, owner, request.params.id, (stored) =>
        validated({
          url: url ?? stored.url,
          title: title ?? stored.title,
          description: description ?? stored.description,
          tags: (tags ?? stored.tags).join(' '),
        }, tags),
      );
      if (!outcome) throw notFound();
      if ('duplicate' in outcome) throw duplicateProblem(outcome.duplicate, app.prefix);
      const updated = outcome.saved;
      if (updated.url !== outcome.before.url) await keepIcon(app, request, owner, new URL(updated.url));
      return toApiBookmark(updated);
    },
  );

  app.delete(
    '/bookmarks/:id',
    {
      schema: {
        summary: 'Delete a bookmark',
        params: IdParamsSchema,
        response: { 204: { description: 'Deleted', type: 'null' }, ...problems(400, ...AUTH_PROBLEMS, 404) },
      },
    },
    async (request: IdRequest, reply: FastifyReply) => {
      if (!(await deleteBookmark(app.db, apiOwner(request), request.params.id))) throw notFound();
      return reply.code(204).send();
    },
  );

  app.get(
    '/tags',
    {
      schema: {
        summary: 'Your tags with how many bookmarks carry each, most used first',
        response: { 200: TagListSchema, ...problems(...AUTH_PROBLEMS) },
      },
    },
    async (request) => ({ items: await listTags(app.db, apiOwner(request), 1000) }),
  );

  let document: object | undefined;
  app.get(
    '/openapi.json',
    {
      config: { public: true },
      schema: {
        summary: 'This OpenAPI 3.1 document',
        response: { 200: { description: 'The OpenAPI document', type: 'object', additionalProperties: true }, ...problems(429) },
      },
    },
    async (_request, reply) => {
      document ??= buildOpenApi(routes, new URL(app.prefix, app.config.appBaseUrl).href);
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(document));
    },
  );
}
