import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../auth/session.js';
import type { Db } from '../db/database.js';
import { NotFoundError, renderError } from '../http/errors.js';
import { isFragmentRequest } from '../http/htmx.js';
import { bodyField, parseId, text } from '../http/params.js';
import { cutToFit, listPathFrom, withParam } from '../http/return-to.js';
import { describeFetchFailure } from '../fetch/index.js';
import { bookmarkGone, bookmarkIdParam, editedBookmarkGone, ownedBookmark } from './access.js';
import { changeBookmark, deleteForUndo, restoreDeleted, saveBookmarkChanges, saveNewBookmark } from './commands.js';
import { fillFromPage, keepIcon } from './page-details.js';
import { findBookmark, findDuplicate, listTags } from './queries.js';
import { decodeCursor, searchBookmarks, type SearchOptions } from './search-plans.js';
import { parseSearch } from './search-syntax.js';
import { latestDeleted, peekDeleted } from './undo.js';
import { sharedFields } from './shared-fields.js';
import { parseHttpUrl, withNonAsciiUnescaped } from './urls.js';
import {
  cleanFetchedText,
  firstErrorField,
  LIMITS,
  readBookmarkForm,
  validateBookmark,
  type BookmarkFields,
  type FieldErrors,
  type ValidBookmark,
} from './validation.js';
import { editFields, hostOf, listView, toCard } from './view-model.js';
import type { Bookmark } from './bookmark.js';

type SearchRequest = FastifyRequest<{ Querystring: { q?: unknown; after?: unknown; undo?: unknown; restored?: unknown } }>;
type BodyRequest = FastifyRequest<{ Body: unknown }>;
type NewPageRequest = FastifyRequest<{ Querystring: Record<string, unknown> }>;

/** How many of the most used tags the dashboard's tag list shows. */
export const TAG_CLOUD_SIZE = 30;
/**
 * Cards per page of the dashboard and of live search: a 1080-pixel screen shows
 * six, so twelve fill two, and more arrive as the list scrolls. Every keystroke's
 * answer is a first page: about 14 kB of cards where twenty made 24.
 */
export const LIST_PAGE_SIZE = 12;
/**
 * Lists count a search's matches up to this many and then say "more than": nobody reads
 * on to the 61,564th match of "p", and counting them all is most of what a new search costs.
 */
export const LIST_COUNT_UP_TO = 1_000;

/**
 * The longest address the lookup sends a browser on to without JavaScript, its fetched text cut to
 * fit: percent-encoded, the form's limits could reach 18 kB, past Node's 16 kB for a request's head
 * and a proxy's usual 8 kB for its first line.
 */
const LOOKUP_REDIRECT_MAX_LENGTH = 6_000;

/** The search box's own requests (its form sends what is typed, and Enter), which leave the box as the user has it. */
const SEARCH_FORM_TRIGGER = 'search-form';

const EMPTY_FIELDS: BookmarkFields = { url: '', title: '', description: '', tags: '' };

/** What the undo region's toasts (partials/undo-toasts.njk) need to offer an Undo: nothing without a delete still pending. */
const undoOffer = (token: string | undefined, deleted: Bookmark | undefined) => (deleted ? { undoToken: token, deletedTitle: deleted.title, deletedId: deleted.id } : {});

/** The search a request sends (`q`): spaces around the words search nothing, so a box of spaces alone is the dashboard. */
const searchText = (value: unknown): string => text(value).trim();

/** The list for a search (one page after the cursor) and the tag list beside it. */
async function listContext(db: Db, ownerSub: string, search: string, after?: string, alreadyRead: Pick<SearchOptions, 'ownerVersion'> = {}) {
  const terms = parseSearch(search);
  const [page, tags] = await Promise.all([
    searchBookmarks(db, ownerSub, terms, decodeCursor(after), LIST_PAGE_SIZE, { ...alreadyRead, countUpTo: LIST_COUNT_UP_TO }),
    listTags(db, ownerSub, TAG_CLOUD_SIZE),
  ]);
  return { ...listView(page, search, terms), tags };
}

interface AddFormState {
  fields?: BookmarkFields;
  errors?: FieldErrors;
  duplicate?: Bookmark;
}

/** A field of the form that was not left empty (spaces alone are empty). */
const filled = (value: string | undefined): value is string => (value ?? '').trim() !== '';

/**
 * What "Update the saved one" writes: what was typed, and the saved bookmark's own title,
 * description and tags where the form was left empty (an address pasted alone wiped them,
 * the title becoming the host). The form itself keeps showing what was typed.
 */
function keepSavedWhereEmpty(fields: BookmarkFields, saved: Bookmark): BookmarkFields {
  return {
    url: fields.url,
    title: filled(fields.title) ? fields.title : saved.title,
    description: filled(fields.description) ? fields.description : saved.description,
    tags: filled(fields.tags) ? fields.tags : saved.tags.join(', '),
  };
}

/**
 * The same as it is written: the saved one's fields as stored then, read again inside the owner's
 * write, where the form was left empty, so that an edit another tab or worker stored since the
 * duplicate warning's read is not put back.
 */
function storedWhereEmpty(value: ValidBookmark, typed: BookmarkFields, stored: Bookmark): ValidBookmark {
  return {
    ...value,
    title: filled(typed.title) ? value.title : stored.title,
    description: filled(typed.description) ? value.description : stored.description,
    tags: filled(typed.tags) ? value.tags : stored.tags,
  };
}

/** The outcome of a save from the add form or the new-bookmark page. */
type SaveOutcome = { saved: Bookmark } | { status: 409 | 422; form: AddFormState };

/** What the address lookup beside the add form says (partials/page-lookup.njk); empty says nothing. */
interface LookupView {
  /** The address as it was typed, so the page fills in only the form it still belongs to. */
  typedUrl?: string;
  found?: { title: string; description: string; host: string };
  failure?: string;
  duplicate?: ReturnType<typeof toCard>;
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
  const appOrigin = new URL(app.config.appBaseUrl).origin;
  app.addHook('preHandler', requireUser);

  /** Everything the dashboard page shows, for the search text, the add form's state and an optional page cursor. */
  async function dashboardView(request: FastifyRequest, search: string, form: AddFormState = {}, after?: string) {
    const user = currentUser(request);
    return { user, ...addFormView(form), ...(await listContext(app.db, user.sub, search, after, { ownerVersion: request.ownerVersion })) };
  }

  // Answers that follow from the request and the user's data alone are kept by the browser and
  // answered 304 while that data is unchanged (src/http/revalidation.ts). Not the dashboard with
  // an undo offer: the offer runs out with time, not with a write.
  const revalidated = { config: { revalidate: true } };
  const revalidatedWithoutUndo = { config: { revalidate: (request: FastifyRequest) => (request.query as { undo?: unknown }).undo === undefined } };

  /** The dashboard page, or a search's: after a delete without JavaScript with its Undo, after that Undo saying it worked. */
  async function dashboardPage(request: SearchRequest, reply: FastifyReply, search: string, after?: string) {
    const user = currentUser(request);
    const undoToken = text(request.query.undo);
    const pending = await peekDeleted(app.db, user.sub, undoToken);
    const restored = !pending && request.query.restored === '1';
    return reply.viewAsync('pages/dashboard.njk', { ...(await dashboardView(request, search, {}, after)), ...undoOffer(undoToken, pending), restored });
  }

  app.get('/dashboard', revalidatedWithoutUndo, (request: SearchRequest, reply) => dashboardPage(request, reply, ''));

  // A search or a tag's address, saved or shared: signed out, the sign-in comes back to the search
  // (the search alone: a cursor, or an Undo of the session that ended, means nothing by then).
  const searchAfterSignIn = {
    cuttable: ['q'],
    address: (request: FastifyRequest) => `/bookmarks/search?${new URLSearchParams({ q: searchText((request.query as SearchRequest['query']).q) })}`,
  };
  app.get('/bookmarks/search', { config: { ...revalidatedWithoutUndo.config, returnAfterSignIn: searchAfterSignIn } }, async (request: SearchRequest, reply) => {
    const search = searchText(request.query.q);
    // Any `after`, even empty, asks for a later page; a cursor that does not decode reads as the first page.
    const after = request.query.after === undefined ? undefined : text(request.query.after);
    // A page of its own appends nothing: a hand-edited cursor shows the first page.
    if (!isFragmentRequest(request)) return dashboardPage(request, reply, search, after);
    const cursor = decodeCursor(after);
    // "Load more" appends where it was: the first page there would repeat every card above it, ids and all.
    if (after !== undefined && !cursor) return renderError(request, reply, 400, 'The rest of this list could not be loaded. Search again to start it over.');
    const terms = parseSearch(search);
    const page = await searchBookmarks(app.db, currentUser(request).sub, terms, cursor, LIST_PAGE_SIZE, { ownerVersion: request.ownerVersion, countUpTo: LIST_COUNT_UP_TO });
    // "Load more" appends rows; a new search replaces the whole list, and when
    // it did not come from the search box (a tag chip) the box follows.
    if (cursor) return reply.viewAsync('partials/bookmark-rows.njk', listView(page, search, terms));
    const fromSearchBox = request.headers['hx-trigger'] === SEARCH_FORM_TRIGGER;
    // A search cleared is the dashboard again, in the address bar and history too.
    if (!search) reply.header('hx-push-url', '/dashboard');
    return reply.viewAsync(fromSearchBox ? 'partials/bookmark-list.njk' : 'partials/search-results.njk', { ...listView(page, search, terms), titled: true });
  });

  /**
   * Validates and saves the add form (a new bookmark, or with `update` the saved one a
   * duplicate warning offered), filling an empty title from the page itself.
   */
  async function saveFromForm(request: BodyRequest): Promise<SaveOutcome> {
    const user = currentUser(request);
    const typed = readBookmarkForm(request.body);
    // "Update the saved one" after a duplicate warning (update-duplicate) names the bookmark to update with what
    // was typed; the new-bookmark page's form for a saved address (update) holds all of its values.
    const duplicateId = parseId(bodyField(request.body, 'update-duplicate'));
    const updateId = duplicateId ?? parseId(bodyField(request.body, 'update'));
    const updating = duplicateId === null ? undefined : await findBookmark(app.db, user.sub, duplicateId);
    if (duplicateId !== null && !updating) throw new NotFoundError();
    const fields = updating ? keepSavedWhereEmpty(typed, updating) : typed;
    const result = validateBookmark(fields, { fromForm: true });
    if (!result.ok) return { status: 422, form: { fields: typed, errors: result.errors } };
    const duplicate = await findDuplicate(app.db, user.sub, result.value.url, updateId ?? undefined);
    if (duplicate) return { status: 409, form: { fields: typed, duplicate } };
    const value = await fillFromPage(app, request, user.sub, fields, result.value);
    // Checked again as it is stored: the same page may have been saved while this one was fetched.
    const outcome =
      updateId === null
        ? await saveNewBookmark(app.db, user.sub, value)
        : updating
          ? await changeBookmark(app.db, user.sub, updateId, (stored) => storedWhereEmpty(value, typed, stored))
          : await saveBookmarkChanges(app.db, user.sub, updateId, value);
    if (!outcome) throw new NotFoundError();
    if ('duplicate' in outcome) return { status: 409, form: { fields: typed, duplicate: outcome.duplicate } };
    return { saved: outcome.saved };
  }

  app.post('/bookmarks', async (request: BodyRequest, reply) => {
    const user = currentUser(request);
    const outcome = await saveFromForm(request);
    if ('status' in outcome) {
      reply.code(outcome.status);
      if (!isFragmentRequest(request)) return reply.viewAsync('pages/dashboard.njk', await dashboardView(request, '', outcome.form));
      return reply.viewAsync('partials/bookmark-form.njk', addFormView(outcome.form));
    }
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    const list = await listContext(app.db, user.sub, searchText(bodyField(request.body, 'q')));
    // Saved under a search that does not show it (or, updated, dated below the first page), the list
    // would change nowhere the user looks: the notice says it was saved, beside an Undo still pending.
    const shown = list.page.items.some((card) => card.id === outcome.saved.id);
    const undoToken = text(bodyField(request.body, 'token'));
    const notice = shown ? {} : { savedOutOfSight: toCard(outcome.saved), ...undoOffer(undoToken, await peekDeleted(app.db, user.sub, undoToken)) };
    return reply.viewAsync('partials/bookmark-added.njk', { ...addFormView({}), focus: 'url', ...list, saved: toCard(outcome.saved), ...notice });
  });

  /** The new-bookmark page: the form, and the saved bookmark when the address is already saved. */
  function newPageView(request: FastifyRequest, form: AddFormState, popup: boolean, existing?: Bookmark) {
    // Looked up as the page opens only when the user opened it themselves (typed, shared from
    // the phone, or from this app): a link on another site must not spend their fetches.
    const openedHere = ['same-origin', 'none'].includes(String(request.headers['sec-fetch-site']));
    return { user: currentUser(request), ...addFormView(form), popup, existing: existing ? toCard(existing) : null, lookupOnLoad: !existing && openedHere };
  }

  // The bookmarklet and a phone's share sheet open this page; a GET never stores anything.
  // Signed out, the sign-in comes back here, so the shared address is not lost: to what the page
  // read of its query (a share's text is its address and description apart), the description,
  // then the title, cut where the whole is too long for the sign-in to carry.
  const returnAfterSignIn = {
    cuttable: ['description', 'title'],
    address(request: FastifyRequest): string {
      const query = request.query as Record<string, unknown>;
      const read = { ...sharedFields(query), popup: text(query.popup) };
      // Its non-ASCII characters as themselves: escaped again here, their escapes would take 5 characters for 3.
      const address = parseHttpUrl(read.url);
      if (address) read.url = withNonAsciiUnescaped(address.href);
      return `/bookmarks/new?${new URLSearchParams(Object.entries(read).filter(([, value]) => value !== ''))}`;
    },
  };
  app.get('/bookmarks/new', { config: { returnAfterSignIn } }, async (request: NewPageRequest, reply) => {
    const user = currentUser(request);
    const shared = sharedFields(request.query);
    const popup = text(request.query.popup) === '1';
    const url = parseHttpUrl(shared.url);
    const existing = url ? await findDuplicate(app.db, user.sub, url.href) : undefined;
    if (!existing) return reply.viewAsync('pages/new.njk', newPageView(request, { fields: shared }, popup));
    // Already saved: the form edits the saved one, keeping what it has and adding a description it lacks.
    const fields = { ...editFields(existing), description: existing.description || shared.description || '' };
    return reply.viewAsync('pages/new.njk', { ...newPageView(request, { fields }, popup, existing), updateId: existing.id });
  });

  app.post('/bookmarks/new', async (request: BodyRequest, reply) => {
    const popup = bodyField(request.body, 'popup') === '1';
    const outcome = await saveFromForm(request);
    if ('status' in outcome) {
      reply.code(outcome.status);
      // A mistake while editing the saved one stays on its "Already saved" page, still updating it: as a
      // new-bookmark page the form read "Save a link", and without its update a corrected address added a bookmark.
      const updateId = parseId(bodyField(request.body, 'update'));
      const existing = updateId === null ? undefined : await findBookmark(app.db, currentUser(request).sub, updateId);
      return reply.viewAsync('pages/new.njk', { ...newPageView(request, outcome.form, popup, existing), updateId });
    }
    // In the bookmarklet's window, the saved page closes it (static/app.js); elsewhere, the list.
    if (!popup) return reply.redirect('/dashboard', 303);
    return reply.viewAsync('pages/saved.njk', { user: currentUser(request), bookmark: toCard(outcome.saved) });
  });

  /**
   * As an address is typed or pasted into the add form: whether it is saved already, or
   * the page's title and description for static/app.js to put into the fields still
   * empty. Nothing is fetched when the title and description are both typed in.
   */
  async function lookupView(request: BodyRequest): Promise<LookupView> {
    const user = currentUser(request);
    const fields = readBookmarkForm(request.body);
    // As typed, for static/app.js to fill in what was found only while the field still holds it; looked up as it will be saved.
    const typedUrl = bodyField(request.body, 'url').trim();
    const address = fields.url.trim();
    const url = address.length <= LIMITS.urlLength ? parseHttpUrl(address) : undefined;
    if (!url) return {};
    const duplicate = await findDuplicate(app.db, user.sub, url.href, parseId(bodyField(request.body, 'update')) ?? undefined);
    if (duplicate) return { typedUrl, duplicate: toCard(duplicate) };
    if (fields.title.trim() && fields.description?.trim()) return {};
    if (!app.pageLookups.canFetch(url)) return {};
    if (!(await app.allowFetch(request))) return { typedUrl, failure: 'Too many page lookups just now: type the title yourself, or try again in a minute.' };
    const result = await app.pageLookups.describe(user.sub, url, app.config.fetchTimeouts.lookupMs);
    if (!result.ok) return { typedUrl, failure: describeFetchFailure(result) };
    const found = {
      title: cleanFetchedText(result.metadata.title, LIMITS.titleLength),
      description: cleanFetchedText(result.metadata.description, LIMITS.descriptionLength),
      host: hostOf(url.href),
    };
    return found.title || found.description ? { typedUrl, found } : { typedUrl, failure: 'The page has no title to fill in.' };
  }

  app.post('/bookmarks/lookup', async (request: BodyRequest, reply) => {
    const view = await lookupView(request);
    if (isFragmentRequest(request)) return reply.viewAsync('partials/page-lookup.njk', view);
    // Without JavaScript: the new-bookmark page, with what was found filled in where the form was empty.
    const fields = readBookmarkForm(request.body);
    const query = new URLSearchParams({
      url: fields.url,
      title: fields.title.trim() || view.found?.title || '',
      description: fields.description?.trim() || view.found?.description || '',
      tags: fields.tags,
    });
    return reply.redirect(cutToFit(`/bookmarks/new?${query}`, ['description', 'title'], LOOKUP_REDIRECT_MAX_LENGTH), 303);
  });

  app.get('/bookmarks/:id', revalidated, async (request, reply) => {
    const bookmark = await ownedBookmark(app.db, request);
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    // Asked for by an edit's Cancel (or Escape): the keyboard goes back to the card's Edit, as after a save.
    return reply.viewAsync('partials/bookmark-card.njk', { bookmark: toCard(bookmark), focusEdit: true });
  });

  // Its page of its own (without JavaScript, or opened by itself) is not kept: where Save and Cancel go back to comes from the Referer, which no ETag covers.
  app.get('/bookmarks/:id/edit', { config: { revalidate: isFragmentRequest } }, async (request, reply) => {
    const bookmark = await ownedBookmark(app.db, request);
    const view = { user: currentUser(request), bookmark: toCard(bookmark), fields: editFields(bookmark), errors: {}, focus: 'url' };
    if (isFragmentRequest(request)) return reply.viewAsync('partials/bookmark-edit.njk', view);
    // Without JavaScript, or opened by itself (a new tab, typed), the edit has a page of its own, a plain
    // form even with JavaScript (pages/edit.njk): Save and Cancel go back to the list it came from.
    return reply.viewAsync('pages/edit.njk', { ...view, back: listPathFrom(request.headers.referer, appOrigin) });
  });

  /** Shared by PUT (htmx) and POST …/edit (no JavaScript). */
  async function saveEdit(request: FastifyRequest, reply: FastifyReply) {
    const user = currentUser(request);
    const existing = await ownedBookmark(app.db, request, editedBookmarkGone);
    const fields = readBookmarkForm(request.body);
    const back = listPathFrom(bodyField(request.body, 'back'), appOrigin);
    const refuse = (errors: FieldErrors) => {
      reply.code(422);
      const view = { user, bookmark: toCard(existing), fields, errors, focus: firstErrorField(errors), back };
      return reply.viewAsync(isFragmentRequest(request) ? 'partials/bookmark-edit.njk' : 'pages/edit.njk', view);
    };
    const result = validateBookmark(fields, { fromForm: true });
    if (!result.ok) return refuse(result.errors);
    // Gone since it was read (deleted in another tab, the delete written first): as if it had been gone before, the form stays.
    const outcome = await saveBookmarkChanges(app.db, user.sub, existing.id, result.value);
    if (!outcome) throw editedBookmarkGone();
    if ('duplicate' in outcome) return refuse({ url: `You already saved this address as “${outcome.duplicate.title}”.` });
    const updated = outcome.saved;
    if (updated.url !== existing.url) await keepIcon(app, request, user.sub, new URL(updated.url));
    if (!isFragmentRequest(request)) return reply.redirect(back, 303);
    return reply.viewAsync('partials/bookmark-saved.njk', { bookmark: toCard(updated), tags: await listTags(app.db, user.sub, TAG_CLOUD_SIZE) });
  }
  app.put('/bookmarks/:id', saveEdit);
  app.post('/bookmarks/:id/edit', saveEdit);

  /** Deletes the owner's bookmark named by :id and keeps it for Undo; another user's id is a 404. */
  async function deleteRequestedBookmark(request: FastifyRequest): Promise<string> {
    const id = bookmarkIdParam(request);
    const outcome = await deleteForUndo(app.db, currentUser(request).sub, id);
    if (!outcome) throw bookmarkGone(id);
    return outcome.token;
  }

  app.delete('/bookmarks/:id', async (request, reply) => {
    await deleteRequestedBookmark(request);
    if (!isFragmentRequest(request)) return reply.code(204).send();
    // The card swaps itself out with this empty body; the event asks the undo
    // region to fetch its toasts (GET /bookmarks/undo-notice) with the new count.
    return reply.header('HX-Trigger', 'bookmark-deleted').type('text/html; charset=utf-8').send('');
  });

  // The same delete for browsers without JavaScript, which can only GET and POST.
  app.post('/bookmarks/:id/delete', async (request, reply) => {
    const token = await deleteRequestedBookmark(request);
    // Back to the list the card was in (a search stays searched), with the Undo.
    return reply.redirect(withParam(listPathFrom(request.headers.referer, appOrigin), 'undo', token), 303);
  });

  app.get('/bookmarks/undo-notice', async (request: SearchRequest, reply) => {
    if (!isFragmentRequest(request)) return reply.redirect('/dashboard', 303);
    const user = currentUser(request);
    const search = searchText(request.query.q);
    const terms = parseSearch(search);
    const [latest, tags, page] = await Promise.all([
      latestDeleted(app.db, user.sub),
      listTags(app.db, user.sub, TAG_CLOUD_SIZE),
      // The template shows the new count, or the empty state once the last one is gone: one row tells both.
      searchBookmarks(app.db, user.sub, terms, null, 1, { countUpTo: LIST_COUNT_UP_TO }),
    ]);
    return reply.viewAsync('partials/bookmark-deleted.njk', { ...undoOffer(latest?.token, latest?.bookmark), tags, ...listView(page, search, terms) });
  });

  app.post('/bookmarks/restore', async (request: BodyRequest, reply) => {
    const user = currentUser(request);
    const result = await restoreDeleted(app.db, user.sub, bodyField(request.body, 'token'));
    if (!result) {
      if (isFragmentRequest(request)) return reply.code(410).viewAsync('partials/undo-toasts.njk', { expired: true });
      return renderError(request, reply, 410, 'That delete can no longer be undone.', 'Too late to undo');
    }
    if ('duplicate' in result) {
      const message = `You saved this address again as “${result.duplicate.title}”, so the deleted copy was not restored.`;
      if (isFragmentRequest(request)) return reply.code(409).viewAsync('partials/undo-toasts.njk', { notRestored: message });
      return renderError(request, reply, 409, message, 'Already saved again');
    }
    if (!isFragmentRequest(request)) return reply.redirect(withParam(listPathFrom(request.headers.referer, appOrigin), 'restored', '1'), 303);
    return reply.viewAsync('partials/bookmark-restored.njk', await listContext(app.db, user.sub, searchText(bodyField(request.body, 'q'))));
  });
}
