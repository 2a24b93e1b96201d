import type { FastifyInstance, FastifyRequest } from 'fastify';
import { titleLeftEmpty, withPageDetails, type BookmarkFields, type ValidBookmark } from './validation.js';

/*
 * What a save (from a form or the API) takes from the page itself. Both go through
 * app.pageLookups, behind the per-user fetch limit; neither ever fails a save.
 */

/**
 * A bookmark about to be saved, with the page's own title and description where the
 * user left them empty: tried only when the title was left empty, within the short
 * save deadline, falling back to the host. Either way the site's icon is fetched in
 * the background when the owner has none for its host yet.
 */
export async function fillFromPage(app: FastifyInstance, request: FastifyRequest, ownerSub: string, fields: BookmarkFields, value: ValidBookmark): Promise<ValidBookmark> {
  const url = new URL(value.url);
  if (!app.pageLookups.canFetch(url)) return value;
  if (titleLeftEmpty(fields)) {
    if (!(await app.allowFetch(request))) return value;
    const result = await app.pageLookups.describe(ownerSub, url, app.config.fetchTimeouts.saveMs);
    return result.ok ? withPageDetails(value, fields, result.metadata) : value;
  }
  await keepIcon(app, request, ownerSub, url);
  return value;
}

/**
 * Fetches the icon of a saved address's site in the background, when the owner has none (or an old
 * one) for its host. Asking whether it has one reads the database: when that fails, the save it
 * follows (or precedes) still stands, without an icon this time.
 */
export async function keepIcon(app: FastifyInstance, request: FastifyRequest, ownerSub: string, url: URL): Promise<void> {
  try {
    if (!app.pageLookups.canFetch(url) || !(await app.pageLookups.needsFavicon(ownerSub, url))) return;
    if (await app.allowFetch(request)) app.pageLookups.keepFavicon(ownerSub, url);
  } catch (error) {
    request.log.warn({ err: error }, 'favicon: could not tell whether the site needs one');
  }
}
