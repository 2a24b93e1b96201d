import { createHash } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** How a file whose address names its content is cached: for a year, never asked for again (RFC 8246, immutable). */
export const VERSIONED_ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/**
 * A `v` that is not the file's current content (a page from another release, on another replica):
 * the current file, never stored, so no cache can later revalidate other bytes into an immutable entry.
 */
export const STALE_ASSET_CACHE_CONTROL = 'no-store';
/** In development a version is only a modification time: asked for again at each use. */
export const DEVELOPMENT_ASSET_CACHE_CONTROL = 'no-cache';

/** What a version was computed from: the file as it was then. */
interface HashedFile {
  version: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/**
 * The addresses of the files the pages link to (stylesheet, scripts, icons), each with a version
 * of its content in `?v=`: a browser keeps them for a year without revalidating, and a release's
 * pages name new addresses, so a page gets the files of its own release (while a release rolls out
 * across replicas, it may get the other release's, never stored).
 *
 * In production a version is the hash of the file's bytes, so every process and every replica
 * names the same address. It is read once, and again when a file served has changed since (files
 * replaced before a restart): from then on the pages name the new content. In development it is
 * the file's modification time, read at each page, and its answers are revalidated at each use.
 */
export class AssetVersions {
  /** In production: each file's version, by its path, with what it was computed from. */
  private readonly hashed = new Map<string, HashedFile>();
  /** In production: each address a page names, with its version, by its path (a full page names five). */
  private readonly urls = new Map<string, string>();

  /** `folders`: address prefix (`/static/`) to the folder it serves; `contents`: versions by content (production). */
  constructor(
    private readonly folders: Readonly<Record<string, string>>,
    private readonly contents: boolean,
  ) {}

  /** The address of a file the pages link to, with its version. An unknown address is a mistake in a template. */
  url(path: string): string {
    let url = this.urls.get(path);
    if (url === undefined) {
      url = this.versioned(path);
      if (this.contents) this.urls.set(path, url);
    }
    return url;
  }

  /**
   * The Cache-Control of `file`, as it is now (`stat`), served to a request that asked for `version`
   * (its `v`): undefined where the address had none, which keeps the folder's own max-age.
   */
  cacheControl(file: string, stat: Stats, version: unknown): string | undefined {
    if (version === undefined) return undefined;
    if (!this.contents) return DEVELOPMENT_ASSET_CACHE_CONTROL;
    return version === this.versionOf(file, stat) ? VERSIONED_ASSET_CACHE_CONTROL : STALE_ASSET_CACHE_CONTROL;
  }

  private versioned(path: string): string {
    const prefix = Object.keys(this.folders).find((folder) => path.startsWith(folder));
    const name = prefix === undefined ? '' : path.slice(prefix.length);
    if (!prefix || !/^[\w-]+(\.[\w-]+)+$/.test(name)) throw new Error(`asset(): not a file the pages can link to: ${path}`);
    const file = join(this.folders[prefix]!, name);
    return `${path}?v=${this.versionOf(file, statSync(file))}`;
  }

  private versionOf(file: string, stat: Stats): string {
    if (!this.contents) return Math.trunc(stat.mtimeMs).toString(36);
    const known = this.hashed.get(file);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs && known.ino === stat.ino) return known.version;
    const version = createHash('sha256').update(readFileSync(file)).digest('base64url').slice(0, 12);
    this.hashed.set(file, { version, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino });
    // Replaced while this process runs: the pages name the new content from now on.
    if (known) this.urls.clear();
    return version;
  }
}
