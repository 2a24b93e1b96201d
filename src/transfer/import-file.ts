import type { ImportCandidate } from '../bookmarks/commands.js';
import { keptTags, LIMITS } from '../bookmarks/validation.js';
import { decodeHtmlFile } from './html-encoding.js';
import { nameToTag, parseNetscape, type NetscapeEntry } from './netscape.js';

/**
 * Entries as the import stores them: the folders on the way down, then the file's own
 * TAGS, as tags. Tags, titles and descriptions are cut here to what importBookmarks keeps (it applies
 * the same rules again, to the same result), so a file with a million tags or a
 * megabyte title costs its worker thread, not the app's event loop.
 */
export function toImportCandidates(entries: NetscapeEntry[], maxCharacters = Infinity): ImportCandidate[] {
  // A folder's name is read once, however many lists or bookmarks it is above, and its kept
  // tags (at most LIMITS.tagCount of LIMITS.tagLength) stand in for it after that: so a
  // megabyte name costs its megabyte once, not once per bookmark or sub-folder under it. (The
  // lists under a folder share its name's string, whose hash V8 computes once.)
  const nameTags = new Map<string, string[]>();
  const tagsOfName = (name: string): string[] => {
    let tags = nameTags.get(name);
    if (!tags) {
      const tag = nameToTag(name);
      nameTags.set(name, (tags = tag === null ? [] : keptTags(tag)));
    }
    return tags;
  };
  // Entries in one list share its folder names: each list's names become tags once.
  const folderTags = new Map<readonly string[], string[]>();
  const tagsOf = (folders: readonly string[]): string[] => {
    let tags = folderTags.get(folders);
    if (!tags) folderTags.set(folders, (tags = keptTags(folders.flatMap(tagsOfName).join(' '))));
    return tags;
  };
  // Entries with the same tags share one list (nearly always those of one folder), which the
  // message to the app's thread carries once and the import checks once (importBookmarks).
  const sharedTags = new Map<string, string[]>();
  let characters = 0;
  return entries.map((entry) => {
    // Kept tags read back as themselves, so keeping the folders' first and then adding the entry's
    // own keeps what the whole list would.
    const tags = entry.tags.length === 0 ? tagsOf(entry.folders) : keptTags([...tagsOf(entry.folders), ...toTags(entry.tags)].join(' '));
    // Tags hold no spaces: the joined list names it.
    const key = tags.join(' ');
    let shared = sharedTags.get(key);
    if (!shared) {
      sharedTags.set(key, (shared = tags));
      characters += key.length;
    }
    const candidate = {
      url: entry.url,
      title: entry.title.length > KEPT_TITLE_UNITS ? entry.title.slice(0, KEPT_TITLE_UNITS) : entry.title,
      description: entry.description.length > KEPT_DESCRIPTION_UNITS ? entry.description.slice(0, KEPT_DESCRIPTION_UNITS) : entry.description,
      tags: shared,
      createdAt: entry.addDate,
    };
    characters += candidate.url.length + candidate.title.length + candidate.description.length;
    // Stops early, as the entry cap does: what the app then holds is bounded by this, not by the file's bytes.
    if (characters > maxCharacters) throw new TooMuchTextError(maxCharacters);
    return candidate;
  });
}

/**
 * Thrown by toImportCandidates when the bookmarks of a file hold more text than the caller
 * allows. A folder's name is a tag of every bookmark under it, so a file of a few megabytes,
 * its links deep in folders with long names, can ask for gigabytes of tags.
 */
export class TooMuchTextError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} characters of bookmarks`);
    this.name = 'TooMuchTextError';
  }
}

const toTags = (names: readonly string[]): string[] => names.map(nameToTag).filter((tag): tag is string => tag !== null);
/** Titles keep LIMITS.titleLength characters: at most two UTF-16 units each, with room to spare. */
const KEPT_TITLE_UNITS = 4 * LIMITS.titleLength;
const KEPT_DESCRIPTION_UNITS = 4 * LIMITS.descriptionLength;

/**
 * Candidates in one message from the parse worker to the app's thread, which takes in a message
 * whole, in one go: the 225,000 candidates of a 20 MB file in one message held it for about 400 ms.
 */
export const CANDIDATES_PER_MESSAGE = 2_000;

/** An uploaded bookmarks file, as bytes, to import candidates: what the parse worker does. */
export function readImportFile(bytes: Uint8Array, maxEntries = Infinity, maxCharacters = Infinity): ImportCandidate[] {
  return toImportCandidates(parseNetscape(decodeHtmlFile(bytes), maxEntries), maxCharacters);
}
