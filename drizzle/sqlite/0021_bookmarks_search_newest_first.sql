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
CREATE TRIGGER `bookmarks_fts_after_insert` AFTER INSERT ON `bookmarks` BEGIN
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
INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags, description)
SELECT -id, 'o' || hex(owner_sub), title, url, tags, description FROM `bookmarks`;
