import type { FastifyRequest } from 'fastify';
import { currentUser } from '../auth/session.js';
import type { Db } from '../db/database.js';
import { NotFoundError } from '../http/errors.js';
import { parseId } from '../http/params.js';
import type { Bookmark } from './bookmark.js';
import { findBookmark } from './queries.js';

/*
 * Every bookmark route that names an id goes through here (like linkding's
 * access.bookmark_write): the id is the signed-in owner's, or the answer is a
 * 404, the same for a malformed id, a missing one and someone else's.
 */

/** The :id path parameter as a bookmark id, or a 404. */
export function bookmarkIdParam(request: FastifyRequest): number {
  const id = parseId((request.params as { id?: string }).id ?? '');
  if (id === null) throw new NotFoundError();
  return id;
}

/** A 404 for the bookmark `id`, whose card a page may still show (deleted in another tab): the card goes. */
export function bookmarkGone(id: number): NotFoundError {
  return new NotFoundError({ elementId: `bookmark-${id}`, message: 'That bookmark is no longer here: it was deleted, perhaps in another tab.' });
}

/**
 * The signed-in owner's bookmark named by :id, or a 404 (`gone`: by default one that takes its card
 * away; an edit being saved keeps its form, so what was typed is not lost with it).
 */
export async function ownedBookmark(db: Db, request: FastifyRequest, gone: (id: number) => NotFoundError = bookmarkGone): Promise<Bookmark> {
  const id = bookmarkIdParam(request);
  const bookmark = await findBookmark(db, currentUser(request).sub, id);
  if (!bookmark) throw gone(id);
  return bookmark;
}

/** A 404 for an edit of a bookmark deleted meanwhile: the form stays, its Cancel takes it away. */
export const editedBookmarkGone = (): NotFoundError =>
  new NotFoundError({ message: 'That bookmark was deleted, perhaps in another tab, so these changes cannot be saved.' });
