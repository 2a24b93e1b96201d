import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../auth/session.js';
import { isFragmentRequest } from '../http/htmx.js';
import { bodyField, parseId, text } from '../http/params.js';
import type { Bookmark } from '../db/schema.js';
import { createBookmark, deleteBookmark, restoreBookmark, updateBookmark } from './commands.js';
import { findBookmark, findDuplicate, listTags } from './queries.js';
import { decodeCursor, searchBookmarks } from './search-queries.js';
import { parseSearch } from './search.js';
import { createUndoStore } from './undo.js';
import { readBookmarkFields, validateBookmark, type BookmarkFields, type FieldErrors } from './validation.js';
import { listView, toCard } from './view-model.js';

type SearchRequest = FastifyRequest<{ Querystring: { q?: unknown; after?: unknown; undo?: unknown } }>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type BodyRequest = FastifyRequest<{ Body: unknown }>;
type IdBodyRequest = FastifyRequest<{ Params: { id: string }; Body: unknown }>;

const EMPTY_FIELDS: BookmarkFields = { url: '', title: '', tags: '' };
const FIELD_ORDER = ['url', 'title', 'tags'] as const;

function fieldsOf(bookmark: Bookmark): BookmarkFields {
  return { url: bookmark.url, title: bookmark.title, tags: bookmark.tags.replaceAll(' ', ', ') };
}

interface AddFormState {
  fields?: BookmarkFields;
  errors?: FieldErrors;
  duplicate?: Bookmark;
}

export async function bookmarkRoutes(app: FastifyInstance): Promise<void> {
  const undoStore = createUndoStore();
  app.addHook('preHandler', requireUser);

  /** Everything the dashboard page shows, for the search text and optional page cursor. */
  function dashboardView(request: FastifyRequest, search: string, form: AddFormState = {}, after?: string) {
    const user = currentUser(request);
    const page = searchBookmarks(app.db, user.sub, parseSearch(search), decodeCursor(after));
    return {
      user,
      fields: form.fields ?? EMPTY_FIELDS,
      errors: form.errors ?? {},
      duplicate: form.duplicate ? toCard(form.duplicate) : null,
      tags: listTags(app.db, user.sub, 30),
      ...listView(page, search),
    };
  }

  app.get('/dashboard', async (request: SearchRequest, reply) => {
    const undoToken = text(request.query.undo);
    const pending = undoStore.peek(currentUser(request).sub, undoToken);
    return reply.viewAsync('pages/dashboard.njk', { ...dashboardView(request, ''), undoToken: pending && undoToken, deletedTitle: pending?.title });
  });

  app.get('/bookmarks/search', async (request: SearchRequest, reply) => {
    const search = text(request.query.q);
    const after = text(request.query.after) || undefined;
    if (!isFragmentRequest(request)) return reply.viewAsync('pages/dashboard.njk', dashboardView(request, search, {}, after));
    const page = searchBookmarks(app.db, currentUser(request).sub, parseSearch(search), decodeCursor(after));
    // "Load more" appends rows; a new search replaces the whole list. When the
    // search did not come from the search box (a tag chip), the box follows.
    if (after) return reply.viewAsync('partials/bookmark-rows.njk', listView(page, search));
    const syncSearchBox = request.headers['hx-trigger'] !== 'search-input';
    return reply.viewAsync('partials/bookmark-list.njk', { ...listView(page, search), syncSearchBox });
  });

  app.post('/bookmarks', async (request: BodyRequest, reply) => {
    const user = currentUser(request);
    const fields = readBookmarkFields(request.body);
    const result = validateBookmark(fields);
    const fragment = isFragmentRequest(request);
    const renderForm = (status: number, form: AddFormState) => {
      reply.code(status);
      if (!fragment) return reply.viewAsync('pages/dashboard.njk', dashboardView(request, '', form));
      const focus = FIELD_ORDER.find((name) => form.errors?.[name]);
      return reply.viewAsync('partials/bookmark-form.njk', {
        fields: form.fields,
        errors: form.errors ?? {},
        duplicate: form.duplicate ? toCard(form.duplicate) : null,
        focus,
      });
    };
    if (!result.ok) return renderForm(422, { fields, errors: result.errors });

    // "Update the saved one" after a duplicate warning names the bookmark to replace.
    const updateId = parseId(bodyField(request.body, 'update'));
    const duplicate = findDuplicate(app.db, user.sub, result.value.url, updateId ?? undefined);
    if (duplicate) return renderForm(409, { fields, duplicate });
    if (updateId !== null) {
      if (!updateBookmark(app.db, user.sub, updateId, result.value)) return reply.callNotFound();
    } else {
      createBookmark(app.db, user.sub, result.value);
    }

    if (!fragment) return reply.redirect('/dashboard', 303);
    const search = bodyField(request.body, 'q');
    const page = searchBookmarks(app.db, user.sub, parseSearch(search), null);
    return reply.viewAsync('partials/bookmark-added.njk', {
      fields: EMPTY_FIELDS,
      errors: {},
      focus: 'url',
      oob: true,
      tags: listTags(app.db, user.sub, 30),
      ...listView(page, search),
    });
  });

  app.get('/bookmarks/:id', async (request: IdRequest, reply) => {
    const id = parseId(request.params.id);
    const bookmark = id === null ? undefined : findBookmark(app.db, currentUser(request).sub, id);
    if (!bookmark) return reply.callNotFound();
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    return reply.viewAsync('partials/bookmark-card.njk', { bookmark: toCard(bookmark) });
  });

  app.get('/bookmarks/:id/edit', async (request: IdRequest, reply) => {
    const user = currentUser(request);
    const id = parseId(request.params.id);
    const bookmark = id === null ? undefined : findBookmark(app.db, user.sub, id);
    if (!bookmark) return reply.callNotFound();
    const view = { user, bookmark: toCard(bookmark), fields: fieldsOf(bookmark), errors: {} };
    if (isFragmentRequest(request)) return reply.viewAsync('partials/bookmark-edit.njk', { ...view, focus: 'url' });
    return reply.viewAsync('pages/edit.njk', view);
  });

  /** Shared by PUT (htmx) and POST …/edit (no JavaScript). */
  async function saveEdit(request: IdBodyRequest, reply: FastifyReply) {
    const user = currentUser(request);
    const id = parseId(request.params.id);
    const existing = id === null ? undefined : findBookmark(app.db, user.sub, id);
    if (!existing) return reply.callNotFound();
    const fields = readBookmarkFields(request.body);
    const result = validateBookmark(fields);
    let errors: FieldErrors | undefined = result.ok ? undefined : result.errors;
    if (result.ok) {
      const duplicate = findDuplicate(app.db, user.sub, result.value.url, existing.id);
      if (duplicate) errors = { url: `You already saved this address as “${duplicate.title}”.` };
    }
    if (errors || !result.ok) {
      reply.code(422);
      const view = { user, bookmark: toCard(existing), fields, errors: errors ?? {} };
      if (!isFragmentRequest(request)) return reply.viewAsync('pages/edit.njk', view);
      return reply.viewAsync('partials/bookmark-edit.njk', { ...view, focus: FIELD_ORDER.find((name) => errors?.[name]) });
    }
    const updated = updateBookmark(app.db, user.sub, existing.id, result.value)!;
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    // The card, and the tag list out of band: the edit may have added or dropped a tag.
    return reply.viewAsync('partials/bookmark-saved.njk', { bookmark: toCard(updated), focusEdit: true, tagsOob: true, tags: listTags(app.db, user.sub, 30) });
  }
  app.put('/bookmarks/:id', saveEdit);
  app.post('/bookmarks/:id/edit', saveEdit);

  app.delete('/bookmarks/:id', async (request: IdRequest, reply) => {
    const user = currentUser(request);
    const id = parseId(request.params.id);
    const deleted = id === null ? undefined : deleteBookmark(app.db, user.sub, id);
    if (!deleted) return reply.callNotFound();
    undoStore.remember(deleted);
    if (!isFragmentRequest(request)) return reply.code(204).send();
    // The card swaps itself out with this empty body; the event asks the undo
    // notice to fetch itself (GET /bookmarks/undo-notice) with the new count.
    return reply.header('HX-Trigger', 'bookmark-deleted').type('text/html; charset=utf-8').send('');
  });

  app.get('/bookmarks/undo-notice', async (request: SearchRequest, reply) => {
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    const user = currentUser(request);
    const latest = undoStore.latest(user.sub);
    const search = text(request.query.q);
    // Only the count is shown, or the empty state: one row tells both.
    const page = searchBookmarks(app.db, user.sub, parseSearch(search), null, 1);
    return reply.viewAsync('partials/undo-notice.njk', {
      undoToken: latest?.token,
      // A delete can leave a tag with no bookmark: the tag list comes along.
      tagsOob: true,
      tags: listTags(app.db, user.sub, 30),
      deletedTitle: latest?.bookmark.title,
      // The last one gone: the whole list, for its empty state; otherwise just the count.
      ...(page.total === 0 ? { listOob: true, oob: true, ...listView(page, search) } : { summaryOob: true, search, total: page.total }),
    });
  });

  // The same delete for browsers without JavaScript, which can only GET and POST.
  app.post('/bookmarks/:id/delete', async (request: IdRequest, reply) => {
    const id = parseId(request.params.id);
    const deleted = id === null ? undefined : deleteBookmark(app.db, currentUser(request).sub, id);
    if (!deleted) return reply.callNotFound();
    return reply.redirect(`/dashboard?undo=${undoStore.remember(deleted)}`, 303);
  });

  app.post('/bookmarks/restore', async (request: BodyRequest, reply) => {
    const user = currentUser(request);
    const bookmark = undoStore.take(user.sub, bodyField(request.body, 'token'));
    if (!bookmark) {
      reply.code(410);
      if (isFragmentRequest(request)) return reply.viewAsync('partials/undo-notice.njk', { expired: true });
      return reply.viewAsync('pages/error.njk', { user, heading: 'Too late to undo', message: 'That delete can no longer be undone.' });
    }
    restoreBookmark(app.db, user.sub, bookmark);
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    const search = bodyField(request.body, 'q');
    const page = searchBookmarks(app.db, user.sub, parseSearch(search), null);
    return reply.viewAsync('partials/bookmark-restored.njk', {
      restored: true,
      oob: true,
      tagsOob: true,
      tags: listTags(app.db, user.sub, 30),
      ...listView(page, search),
    });
  });
}
