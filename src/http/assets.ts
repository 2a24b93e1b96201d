import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** How a file whose address names its content is cached: for a year, never asked for again (RFC 8246, immutable). */
export const VERSIONED_ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** A `v` that is not the file's current version (a page from before a release): kept only if asked again each time. */
export const STALE_ASSET_CACHE_CONTROL = 'no-cache';

/**
 * The addresses of the files the pages link to (stylesheet, scripts, icons), each with a version
 * of its content in `?v=`: a browser keeps them for a year without revalidating, and the pages
 * of a new release name new addresses, so no page runs with the last release's stylesheet or
 * script, as it could for an hour under a plain max-age.
 *
 * In production a version is the hash of the file's bytes, read once: every process and every
 * replica names the same address. In development it is the file's modification time, read at
 * each page, so an edited file shows at the next reload.
 */
export class AssetVersions {
  /** In production: each file's version, by its path, read once. */
  private readonly versions = new Map<string, string>();
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

  private versioned(path: string): string {
    const prefix = Object.keys(this.folders).find((folder) => path.startsWith(folder));
    const name = prefix === undefined ? '' : path.slice(prefix.length);
    if (!prefix || !/^[\w-]+(\.[\w-]+)+$/.test(name)) throw new Error(`asset(): not a file the pages can link to: ${path}`);
    return `${path}?v=${this.versionOf(join(this.folders[prefix]!, name))}`;
  }

  /** Whether `version` (the request's `v`) names the current content of `file`, the file being served. */
  isCurrent(file: string, version: unknown): boolean {
    return typeof version === 'string' && version === this.versionOf(file);
  }

  private versionOf(file: string): string {
    if (!this.contents) return Math.trunc(statSync(file).mtimeMs).toString(36);
    let version = this.versions.get(file);
    if (version === undefined) {
      version = createHash('sha256').update(readFileSync(file)).digest('base64url').slice(0, 12);
      this.versions.set(file, version);
    }
    return version;
  }
}
