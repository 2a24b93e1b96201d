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

/** The signed-in owner's bookmark named by :id, or a 404. */
export async function ownedBookmark(db: Db, request: FastifyRequest): Promise<Bookmark> {
  const bookmark = await findBookmark(db, currentUser(request).sub, bookmarkIdParam(request));
  if (!bookmark) throw new NotFoundError();
  return bookmark;
}
