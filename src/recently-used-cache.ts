interface Entry<K, V> {
  key: K;
  value: V;
  characters: number;
  /** Toward the least recently used. */
  older: Entry<K, V> | null;
  /** Toward the most recently used. */
  newer: Entry<K, V> | null;
}

/**
 * At most `maxEntries` values and `maxCharacters` characters in all (as each value is counted
 * by its keeper), the least recently used out first. The order is a list through the entries:
 * a Map re-inserted at every use (its own order) cost 170 ns a use, and its table filled with
 * the holes of deleted entries, copied whole from time to time (kept cards and bookmarks: about
 * forty uses a list).
 */
export class RecentlyUsedCache<K, V> {
  private readonly entries = new Map<K, Entry<K, V>>();
  private oldest: Entry<K, V> | null = null;
  private newest: Entry<K, V> | null = null;
  private characters = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxCharacters: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value kept under `key`, which becomes the most recently used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry !== this.newest) {
      this.unlink(entry);
      this.append(entry);
    }
    return entry.value;
  }

  /** Whether a value of this many characters would be kept: none is at `maxEntries` 0, nor one over the bound alone. */
  keeps(characters: number): boolean {
    return this.maxEntries > 0 && characters <= this.maxCharacters;
  }

  /** Keeps `value` in place of what `key` held, unless it alone is over the bounds; the least recently used go until all is within them. */
  set(key: K, value: V, characters: number): void {
    this.delete(key);
    if (!this.keeps(characters)) return;
    const entry: Entry<K, V> = { key, value, characters, older: null, newer: null };
    this.entries.set(key, entry);
    this.append(entry);
    this.characters += characters;
    while (this.entries.size > this.maxEntries || this.characters > this.maxCharacters) this.delete(this.oldest!.key);
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.unlink(entry);
    this.characters -= entry.characters;
  }

  private unlink(entry: Entry<K, V>): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = entry.newer = null;
  }

  private append(entry: Entry<K, V>): void {
    entry.older = this.newest;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }
}
