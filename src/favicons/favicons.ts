import { sql } from 'drizzle-orm';
import { param, type Db } from '../db/database.js';
import type { Favicon } from '../fetch/index.js';

/*
 * Site icons, one per owner and host, stored as fetched (raster, at most 32 KB, its
 * type from its bytes) and served from our own origin, so a card never makes the
 * browser contact another site. Each owner's are their own: nobody learns from an
 * icon what someone else saved, and no one can plant an icon in another's list.
 */

/** An icon is fetched again once it is this old (or, when the site had none, asked again). */
export const FAVICON_FRESH_MS = 7 * 24 * 3600 * 1000;

export interface StoredFavicon {
  contentType: string;
  bytes: Buffer;
  fetchedAt: number;
}

const byHost = sql`SELECT content_type AS "contentType", bytes, fetched_at AS "fetchedAt" FROM favicons
  WHERE owner_sub = ${param('owner')} AND host = ${param('host')}`;

/** The owner's icon for a host; null when the site was asked and had none; undefined when it was never asked. */
export async function findFavicon(db: Db, ownerSub: string, host: string): Promise<StoredFavicon | null | undefined> {
  const row = await db.get<{ contentType: string | null; bytes: Uint8Array | null; fetchedAt: number }>(byHost, { owner: ownerSub, host });
  if (!row) return undefined;
  if (!row.contentType || !row.bytes) return null;
  return { contentType: row.contentType, bytes: Buffer.from(row.bytes), fetchedAt: Number(row.fetchedAt) };
}

const fetchedAt = sql`SELECT fetched_at AS "fetchedAt" FROM favicons WHERE owner_sub = ${param('owner')} AND host = ${param('host')}`;

/** Whether the host's icon was fetched (or found missing) recently enough not to ask the site again. */
export async function faviconIsFresh(db: Db, ownerSub: string, host: string, now = Date.now()): Promise<boolean> {
  const row = await db.get<{ fetchedAt: number }>(fetchedAt, { owner: ownerSub, host });
  return row !== undefined && now - Number(row.fetchedAt) < FAVICON_FRESH_MS;
}

// A site that has no icon now keeps the one it had: only a found icon replaces the bytes.
const upsert = sql`INSERT INTO favicons (owner_sub, host, content_type, bytes, fetched_at)
  VALUES (${param('owner')}, ${param('host')}, ${param('contentType')}, ${param('bytes')}, ${param('fetchedAt')})
  ON CONFLICT (owner_sub, host) DO UPDATE SET
    content_type = COALESCE(excluded.content_type, favicons.content_type),
    bytes = COALESCE(excluded.bytes, favicons.bytes),
    fetched_at = excluded.fetched_at`;

/** Keeps the icon fetched for the owner's host, or (null) that the site had none. */
export async function storeFavicon(db: Db, ownerSub: string, host: string, favicon: Favicon | null, now = Date.now()): Promise<void> {
  await db.run(upsert, {
    owner: ownerSub,
    host,
    contentType: favicon?.contentType ?? null,
    bytes: favicon ? Buffer.from(favicon.bytes) : null,
    fetchedAt: now,
  });
}

/**
 * A host as URLs write it, as icons are stored under (`url.host`: a name, an IPv4 or [IPv6] address, and
 * a port): anything else names no icon. Its name is what the URL parser makes of it, so a name with `_`
 * or `~` (which a narrower pattern once turned away, for ever a placeholder) names its icon too.
 */
export function isUrlHost(host: string): boolean {
  const [, name, port] = /^(.{1,253}?)(:\d{1,5})?$/s.exec(host) ?? [];
  if (name === undefined) return false;
  try {
    return new URL(`http://${name}/`).hostname === name && (port === undefined || Number(port.slice(1)) <= 65535);
  } catch {
    return false;
  }
}
