import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../auth/session.js';
import { isFragmentRequest, varyOnHtmx } from '../http/htmx.js';
import { createBookmark, deleteBookmark } from './commands.js';
import { decodeCursor, searchBookmarks } from './queries.js';
import { parseSearch } from './search.js';
import { readBookmarkFields, validateBookmark, type BookmarkFields, type FieldErrors } from './validation.js';
import { listView } from './view-model.js';

type SearchRequest = FastifyRequest<{ Querystring: { q?: unknown; after?: unknown } }>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const EMPTY_FIELDS: BookmarkFields = { url: '', title: '', tags: '' };

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Ids are positive integers; anything else is simply not found. */
function parseId(raw: string): number | null {
  return /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : null;
}

function renderDashboard(
  request: FastifyRequest,
  reply: FastifyReply,
  search: string,
  form: { fields?: BookmarkFields; errors?: FieldErrors } = {},
  after: string | undefined = undefined,
) {
  const user = currentUser(request);
  const page = searchBookmarks(request.server.db, user.sub, parseSearch(search), decodeCursor(after));
  return reply.viewAsync('pages/dashboard.njk', {
    user,
    fields: form.fields ?? EMPTY_FIELDS,
    errors: form.errors ?? {},
    ...listView(page, search),
  });
}

export async function bookmarkRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireUser);

  app.get('/dashboard', async (request, reply) => renderDashboard(request, reply, ''));

  app.get('/bookmarks/search', async (request: SearchRequest, reply) => {
    varyOnHtmx(reply);
    const search = text(request.query.q);
    const after = text(request.query.after) || undefined;
    if (!isFragmentRequest(request)) return renderDashboard(request, reply, search, {}, after);
    const page = searchBookmarks(app.db, currentUser(request).sub, parseSearch(search), decodeCursor(after));
    // "Load more" appends rows; a new search replaces the whole list.
    const template = after ? 'partials/bookmark-rows.njk' : 'partials/bookmark-list.njk';
    return reply.viewAsync(template, listView(page, search));
  });

  app.post('/bookmarks', async (request: FastifyRequest<{ Body: unknown }>, reply) => {
    varyOnHtmx(reply);
    const user = currentUser(request);
    const fields = readBookmarkFields(request.body);
    const result = validateBookmark(fields);
    const fragment = isFragmentRequest(request);
    if (!result.ok) {
      reply.code(422);
      const focus = (['url', 'title', 'tags'] as const).find((name) => result.errors[name]);
      if (!fragment) return renderDashboard(request, reply, '', { fields, errors: result.errors });
      return reply.viewAsync('partials/bookmark-form.njk', { fields, errors: result.errors, focus });
    }
    createBookmark(app.db, user.sub, result.value);
    if (!fragment) return reply.redirect('/dashboard', 303);
    const search = text((request.body as Record<string, unknown> | undefined)?.q);
    const page = searchBookmarks(app.db, user.sub, parseSearch(search), null);
    return reply.viewAsync('partials/bookmark-added.njk', {
      fields: EMPTY_FIELDS,
      errors: {},
      focus: 'url',
      oob: true,
      ...listView(page, search),
    });
  });

  app.delete('/bookmarks/:id', async (request: IdRequest, reply) => {
    varyOnHtmx(reply);
    const id = parseId(request.params.id);
    if (id === null || !deleteBookmark(app.db, currentUser(request).sub, id)) return reply.callNotFound();
    if (isFragmentRequest(request)) return reply.code(200).type('text/html; charset=utf-8').send('');
    return reply.code(204).send();
  });

  // The same delete for browsers without JavaScript, which can only GET and POST.
  app.post('/bookmarks/:id/delete', async (request: IdRequest, reply) => {
    const id = parseId(request.params.id);
    if (id === null || !deleteBookmark(app.db, currentUser(request).sub, id)) return reply.callNotFound();
    return reply.redirect('/dashboard', 303);
  });
}
