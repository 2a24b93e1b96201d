import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../auth/session.js';
import type { Db } from '../db/database.js';
import { NotFoundError, renderError } from '../http/errors.js';
import { isFragmentRequest } from '../http/htmx.js';
import { bodyField, parseId, text } from '../http/params.js';
import { bookmarkIdParam, ownedBookmark } from './access.js';
import { createBookmark, deleteBookmark, restoreBookmark, updateBookmark } from './commands.js';
import { findDuplicate, listTags } from './queries.js';
import { decodeCursor, searchBookmarks } from './search-plans.js';
import { parseSearch } from './search-syntax.js';
import { latestDeleted, peekDeleted, rememberDeleted, takeDeleted } from './undo.js';
import { firstErrorField, readBookmarkFields, validateBookmark, type BookmarkFields, type FieldErrors } from './validation.js';
import { editFields, listView, toCard } from './view-model.js';
import type { Bookmark } from './bookmark.js';

type SearchRequest = FastifyRequest<{ Querystring: { q?: unknown; after?: unknown; undo?: unknown } }>;
type BodyRequest = FastifyRequest<{ Body: unknown }>;

/** How many of the most used tags the dashboard's tag list shows. */
export const TAG_CLOUD_SIZE = 30;
/**
 * Cards per page of the dashboard and of live search: a screen shows about
 * eight, and more arrive as the list scrolls, so each answer stays small.
 */
export const LIST_PAGE_SIZE = 25;

const EMPTY_FIELDS: BookmarkFields = { url: '', title: '', tags: '' };

/** The list for a search (one page after the cursor) and the tag list beside it. */
async function listContext(db: Db, ownerSub: string, search: string, after?: string) {
  const [page, tags] = await Promise.all([
    searchBookmarks(db, ownerSub, parseSearch(search), decodeCursor(after), LIST_PAGE_SIZE),
    listTags(db, ownerSub, TAG_CLOUD_SIZE),
  ]);
  return { ...listView(page, search), tags };
}

interface AddFormState {
  fields?: BookmarkFields;
  errors?: FieldErrors;
  duplicate?: Bookmark;
}

/** The add form's view: what was typed, the errors by their fields, and a duplicate to offer. */
function addFormView(form: AddFormState) {
  const errors = form.errors ?? {};
  return {
    fields: form.fields ?? EMPTY_FIELDS,
    errors,
    duplicate: form.duplicate ? toCard(form.duplicate) : null,
    focus: firstErrorField(errors),
  };
}

export async function bookmarkRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireUser);

  /** Everything the dashboard page shows, for the search text, the add form's state and an optional page cursor. */
  async function dashboardView(request: FastifyRequest, search: string, form: AddFormState = {}, after?: string) {
    const user = currentUser(request);
    return { user, ...addFormView(form), ...(await listContext(app.db, user.sub, search, after)) };
  }

  app.get('/dashboard', async (request: SearchRequest, reply) => {
    const user = currentUser(request);
    const undoToken = text(request.query.undo);
    const pending = await peekDeleted(app.db, user.sub, undoToken);
    return reply.viewAsync('pages/dashboard.njk', { ...(await dashboardView(request, '')), undoToken: pending && undoToken, deletedTitle: pending?.title });
  });

  // Fragments marked `revalidate` answer 304 while the user's data is unchanged (src/http/revalidation.ts).
  const revalidated = { config: { revalidate: true } };

  app.get('/bookmarks/search', revalidated, async (request: SearchRequest, reply) => {
    const search = text(request.query.q);
    const after = text(request.query.after) || undefined;
    if (!isFragmentRequest(request)) return reply.viewAsync('pages/dashboard.njk', await dashboardView(request, search, {}, after));
    const page = await searchBookmarks(app.db, currentUser(request).sub, parseSearch(search), decodeCursor(after), LIST_PAGE_SIZE);
    // "Load more" appends rows; a new search replaces the whole list, and when
    // it did not come from the search box (a tag chip) the box follows.
    if (after) return reply.viewAsync('partials/bookmark-rows.njk', listView(page, search));
    const fromSearchBox = request.headers['hx-trigger'] === 'search-input';
    return reply.viewAsync(fromSearchBox ? 'partials/bookmark-list.njk' : 'partials/search-results.njk', listView(page, search));
  });

  app.post('/bookmarks', async (request: BodyRequest, reply) => {
    const user = currentUser(request);
    const fields = readBookmarkFields(request.body);
    const result = validateBookmark(fields);
    const renderForm = async (status: number, form: AddFormState) => {
      reply.code(status);
      if (!isFragmentRequest(request)) return reply.viewAsync('pages/dashboard.njk', await dashboardView(request, '', form));
      return reply.viewAsync('partials/bookmark-form.njk', addFormView(form));
    };
    if (!result.ok) return renderForm(422, { fields, errors: result.errors });

    // "Update the saved one" after a duplicate warning names the bookmark to replace.
    const updateId = parseId(bodyField(request.body, 'update'));
    const duplicate = await findDuplicate(app.db, user.sub, result.value.url, updateId ?? undefined);
    if (duplicate) return renderForm(409, { fields, duplicate });
    if (updateId === null) await createBookmark(app.db, user.sub, result.value);
    else if (!(await updateBookmark(app.db, user.sub, updateId, result.value))) throw new NotFoundError();

    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    const list = await listContext(app.db, user.sub, bodyField(request.body, 'q'));
    return reply.viewAsync('partials/bookmark-added.njk', { ...addFormView({}), focus: 'url', ...list });
  });

  app.get('/bookmarks/:id', revalidated, async (request, reply) => {
    const bookmark = await ownedBookmark(app.db, request);
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    return reply.viewAsync('partials/bookmark-card.njk', { bookmark: toCard(bookmark) });
  });

  app.get('/bookmarks/:id/edit', revalidated, async (request, reply) => {
    const bookmark = await ownedBookmark(app.db, request);
    const view = { user: currentUser(request), bookmark: toCard(bookmark), fields: editFields(bookmark), errors: {}, focus: 'url' };
    return reply.viewAsync(isFragmentRequest(request) ? 'partials/bookmark-edit.njk' : 'pages/edit.njk', view);
  });

  /** Shared by PUT (htmx) and POST …/edit (no JavaScript). */
  async function saveEdit(request: FastifyRequest, reply: FastifyReply) {
    const user = currentUser(request);
    const existing = await ownedBookmark(app.db, request);
    const fields = readBookmarkFields(request.body);
    const result = validateBookmark(fields);
    let errors: FieldErrors = result.ok ? {} : result.errors;
    if (result.ok) {
      const duplicate = await findDuplicate(app.db, user.sub, result.value.url, existing.id);
      if (duplicate) errors = { url: `You already saved this address as “${duplicate.title}”.` };
    }
    if (!result.ok || Object.keys(errors).length > 0) {
      reply.code(422);
      const view = { user, bookmark: toCard(existing), fields, errors, focus: firstErrorField(errors) };
      return reply.viewAsync(isFragmentRequest(request) ? 'partials/bookmark-edit.njk' : 'pages/edit.njk', view);
    }
    const updated = (await updateBookmark(app.db, user.sub, existing.id, result.value)) ?? existing;
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    return reply.viewAsync('partials/bookmark-saved.njk', { bookmark: toCard(updated), tags: await listTags(app.db, user.sub, TAG_CLOUD_SIZE) });
  }
  app.put('/bookmarks/:id', saveEdit);
  app.post('/bookmarks/:id/edit', saveEdit);

  /** Deletes the owner's bookmark named by :id and keeps it for Undo; another user's id is a 404. */
  async function deleteOwned(request: FastifyRequest): Promise<string> {
    const deleted = await deleteBookmark(app.db, currentUser(request).sub, bookmarkIdParam(request));
    if (!deleted) throw new NotFoundError();
    return rememberDeleted(app.db, deleted);
  }

  app.delete('/bookmarks/:id', async (request, reply) => {
    await deleteOwned(request);
    if (!isFragmentRequest(request)) return reply.code(204).send();
    // The card swaps itself out with this empty body; the event asks the undo
    // notice to fetch itself (GET /bookmarks/undo-notice) with the new count.
    return reply.header('HX-Trigger', 'bookmark-deleted').type('text/html; charset=utf-8').send('');
  });

  // The same delete for browsers without JavaScript, which can only GET and POST.
  app.post('/bookmarks/:id/delete', async (request, reply) => {
    const token = await deleteOwned(request);
    return reply.redirect(`/dashboard?undo=${token}`, 303);
  });

  app.get('/bookmarks/undo-notice', async (request: SearchRequest, reply) => {
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    const user = currentUser(request);
    const search = text(request.query.q);
    const [latest, tags, page] = await Promise.all([
      latestDeleted(app.db, user.sub),
      listTags(app.db, user.sub, TAG_CLOUD_SIZE),
      // The template shows the new count, or the empty state once the last one is gone: one row tells both.
      searchBookmarks(app.db, user.sub, parseSearch(search), null, 1),
    ]);
    return reply.viewAsync('partials/bookmark-deleted.njk', { undoToken: latest?.token, deletedTitle: latest?.bookmark.title, tags, ...listView(page, search) });
  });

  app.post('/bookmarks/restore', async (request: BodyRequest, reply) => {
    const user = currentUser(request);
    const bookmark = await takeDeleted(app.db, user.sub, bodyField(request.body, 'token'));
    if (!bookmark) {
      if (isFragmentRequest(request)) return reply.code(410).viewAsync('partials/undo-notice.njk', { expired: true });
      return renderError(request, reply, 410, 'That delete can no longer be undone.', 'Too late to undo');
    }
    const result = await restoreBookmark(app.db, user.sub, bookmark);
    if ('duplicate' in result) {
      const message = `You saved this address again as “${result.duplicate.title}”, so the deleted copy was not restored.`;
      if (isFragmentRequest(request)) return reply.code(409).viewAsync('partials/undo-notice.njk', { notRestored: message });
      return renderError(request, reply, 409, message, 'Already saved again');
    }
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    return reply.viewAsync('partials/bookmark-restored.njk', await listContext(app.db, user.sub, bodyField(request.body, 'q')));
  });
}
