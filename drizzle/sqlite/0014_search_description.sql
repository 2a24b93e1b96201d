-- Search looks in the description too (issue 13): the index gains a description
-- column, so it is built again, with the same tokenizer and prefix indexes as 0006,
-- and the insert and update triggers from 0001 write the new column. The delete
-- trigger names no column and carries on unchanged.
DROP TRIGGER `bookmarks_fts_after_insert`;
--> statement-breakpoint
DROP TRIGGER `bookmarks_fts_after_update`;
--> statement-breakpoint
DROP TABLE `bookmarks_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `bookmarks_fts` USING fts5(
	owner, title, url, tags, description,
	content = '', contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '1 2 3 4 5 6 7 8'
);
--> statement-breakpoint
CREATE TRIGGER `bookmarks_fts_after_insert` AFTER INSERT ON `bookmarks` BEGIN
	INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags, description)
	VALUES (new.id, 'o' || hex(new.owner_sub), new.title, new.url, new.tags, new.description);
END;
--> statement-breakpoint
CREATE TRIGGER `bookmarks_fts_after_update` AFTER UPDATE ON `bookmarks` BEGIN
	DELETE FROM `bookmarks_fts` WHERE rowid = old.id;
	INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags, description)
	VALUES (new.id, 'o' || hex(new.owner_sub), new.title, new.url, new.tags, new.description);
END;
--> statement-breakpoint
INSERT INTO `bookmarks_fts` (rowid, owner, title, url, tags, description)
SELECT id, 'o' || hex(owner_sub), title, url, tags, description FROM `bookmarks`;
