-- Full-text index for live search. Contentless (the text lives in `bookmarks`),
-- with contentless_delete so triggers can keep it in step. The `owner` column
-- holds 'o' || hex(owner_sub): one token per user, so a MATCH can be scoped to
-- an owner inside the index and counts never touch other users' rows.
CREATE VIRTUAL TABLE `bookmarks_fts` USING fts5(
	owner, title, url, tags,
	content = '', contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '2 3'
);
--> statement-breakpoint
CREATE TRIGGER `bookmarks_fts_after_insert` AFTER INSERT ON `bookmarks` BEGIN
	INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags)
	VALUES (new.id, 'o' || hex(new.owner_sub), new.title, new.url, new.tags);
END;
--> statement-breakpoint
CREATE TRIGGER `bookmarks_fts_after_delete` AFTER DELETE ON `bookmarks` BEGIN
	DELETE FROM `bookmarks_fts` WHERE rowid = old.id;
END;
--> statement-breakpoint
CREATE TRIGGER `bookmarks_fts_after_update` AFTER UPDATE ON `bookmarks` BEGIN
	DELETE FROM `bookmarks_fts` WHERE rowid = old.id;
	INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags)
	VALUES (new.id, 'o' || hex(new.owner_sub), new.title, new.url, new.tags);
END;
--> statement-breakpoint
INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags)
SELECT id, 'o' || hex(owner_sub), title, url, tags FROM `bookmarks`;
