-- The index holds each bookmark under the negative of its id, so that FTS5 yields the
-- newest first in its own order. Lists want the highest ids first, and FTS5 reads a
-- doclist backwards at a cost: it finds the doclist's last page through the doclist
-- index and parses each page whole to walk it in reverse. At 100k bookmarks a first
-- page of the benchmark's 245 searches took 79-87 us of FTS5 newest first against
-- 43-48 us in the index's order, the same ids (docs/PERFORMANCE.md). Same columns,
-- tokenizer and prefix indexes as 0017; the triggers are written again with the sign.
DROP TRIGGER `bookmarks_fts_after_insert`;
--> statement-breakpoint
DROP TRIGGER `bookmarks_fts_after_update`;
--> statement-breakpoint
DROP TRIGGER `bookmarks_fts_after_delete`;
--> statement-breakpoint
DROP TABLE `bookmarks_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `bookmarks_fts` USING fts5(
	owner, title, url, tags, description,
	content = '', contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16'
);
--> statement-breakpoint
-- Set only inside an import's write transaction, which indexes its rows itself, highest id
-- first (insertBookmarkRows): FTS5 writes out its pending terms at every row whose key falls
-- below the one before, so rows written in id order, under falling keys, took four times as
-- long each, and the benchmark's seed of 120,000 bookmarks 15.8 s instead of 8.3.
CREATE TABLE `search_index_deferred` (
	`deferred` integer PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TRIGGER `bookmarks_fts_after_insert` AFTER INSERT ON `bookmarks`
WHEN NOT EXISTS (SELECT 1 FROM `search_index_deferred`) BEGIN
	INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags, description)
	VALUES (-new.id, 'o' || hex(new.owner_sub), new.title, new.url, new.tags, new.description);
END;
--> statement-breakpoint
CREATE TRIGGER `bookmarks_fts_after_delete` AFTER DELETE ON `bookmarks` BEGIN
	DELETE FROM `bookmarks_fts` WHERE rowid = -old.id;
END;
--> statement-breakpoint
CREATE TRIGGER `bookmarks_fts_after_update` AFTER UPDATE ON `bookmarks` BEGIN
	DELETE FROM `bookmarks_fts` WHERE rowid = -old.id;
	INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags, description)
	VALUES (-new.id, 'o' || hex(new.owner_sub), new.title, new.url, new.tags, new.description);
END;
--> statement-breakpoint
-- Highest id first, so the keys rise: FTS5 writes out its pending terms at every row whose
-- key falls below the one before.
INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags, description)
SELECT -id, 'o' || hex(owner_sub), title, url, tags, description FROM `bookmarks` ORDER BY id DESC;
