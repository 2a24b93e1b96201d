-- The tag_counts triggers split bookmarks.tags in SQL. SQLite's substr() and
-- length() stop at a NUL character but instr() does not, so a tag holding NUL
-- made the split loop forever, and the whole app with it (found by fuzzing).
-- The app now refuses control characters; the split also ends once no space is
-- left or after 64 pieces (a bookmark has at most 20 tags), whatever the text.
DROP TRIGGER `tag_counts_after_insert`;
--> statement-breakpoint
DROP TRIGGER `tag_counts_after_delete`;
--> statement-breakpoint
DROP TRIGGER `tag_counts_after_update`;
--> statement-breakpoint
CREATE TRIGGER `tag_counts_after_insert` AFTER INSERT ON `bookmarks` WHEN new.tags <> '' BEGIN
	INSERT INTO `tag_counts` (owner_sub, tag, count)
	WITH RECURSIVE split(rest, tag, depth) AS (
			SELECT new.tags || ' ', NULL, 0
			UNION ALL
			SELECT substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1), depth + 1 FROM split
			WHERE rest <> '' AND instr(rest, ' ') > 0 AND depth < 64
		)
	SELECT new.owner_sub, tag, 1 FROM split WHERE tag IS NOT NULL AND tag <> ''
	ON CONFLICT (owner_sub, tag) DO UPDATE SET count = count + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `tag_counts_after_delete` AFTER DELETE ON `bookmarks` WHEN old.tags <> '' BEGIN
	UPDATE `tag_counts` SET count = count - 1
	WHERE owner_sub = old.owner_sub AND tag IN (
		WITH RECURSIVE split(rest, tag, depth) AS (
				SELECT old.tags || ' ', NULL, 0
				UNION ALL
				SELECT substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1), depth + 1 FROM split
				WHERE rest <> '' AND instr(rest, ' ') > 0 AND depth < 64
			)
		SELECT tag FROM split WHERE tag IS NOT NULL AND tag <> ''
	);
	DELETE FROM `tag_counts` WHERE owner_sub = old.owner_sub AND count <= 0;
END;
--> statement-breakpoint
CREATE TRIGGER `tag_counts_after_update` AFTER UPDATE OF tags, owner_sub ON `bookmarks` BEGIN
	UPDATE `tag_counts` SET count = count - 1
	WHERE owner_sub = old.owner_sub AND tag IN (
		WITH RECURSIVE split(rest, tag, depth) AS (
				SELECT old.tags || ' ', NULL, 0
				UNION ALL
				SELECT substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1), depth + 1 FROM split
				WHERE rest <> '' AND instr(rest, ' ') > 0 AND depth < 64
			)
		SELECT tag FROM split WHERE tag IS NOT NULL AND tag <> ''
	);
	DELETE FROM `tag_counts` WHERE owner_sub = old.owner_sub AND count <= 0;
	INSERT INTO `tag_counts` (owner_sub, tag, count)
	WITH RECURSIVE split(rest, tag, depth) AS (
			SELECT new.tags || ' ', NULL, 0
			UNION ALL
			SELECT substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1), depth + 1 FROM split
			WHERE rest <> '' AND instr(rest, ' ') > 0 AND depth < 64
		)
	SELECT new.owner_sub, tag, 1 FROM split WHERE tag IS NOT NULL AND tag <> ''
	ON CONFLICT (owner_sub, tag) DO UPDATE SET count = count + 1;
END;
--> statement-breakpoint
-- Rows stored before: NUL becomes a space (done on bytes, where NUL is an ordinary
-- byte), then the counts of the owners concerned are recounted from scratch.
CREATE TEMP TABLE `owners_with_nul` AS
	SELECT DISTINCT owner_sub FROM `bookmarks` WHERE instr(tags, char(0)) > 0 OR instr(title, char(0)) > 0;
--> statement-breakpoint
UPDATE `bookmarks` SET
	tags = trim(replace(replace(replace(replace(replace(replace((
		WITH RECURSIVE parts(rest, done, depth) AS (
			SELECT CAST(`bookmarks`.tags AS BLOB), X'', 0
			UNION ALL
			SELECT substr(rest, instr(rest, X'00') + 1), done || substr(rest, 1, instr(rest, X'00') - 1) || X'20', depth + 1
			FROM parts WHERE instr(rest, X'00') > 0 AND depth < 100000
		)
		SELECT CAST(done || rest AS TEXT) FROM parts ORDER BY depth DESC LIMIT 1
	), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')),
	title = trim((
		WITH RECURSIVE parts(rest, done, depth) AS (
			SELECT CAST(`bookmarks`.title AS BLOB), X'', 0
			UNION ALL
			SELECT substr(rest, instr(rest, X'00') + 1), done || substr(rest, 1, instr(rest, X'00') - 1) || X'20', depth + 1
			FROM parts WHERE instr(rest, X'00') > 0 AND depth < 100000
		)
		SELECT CAST(done || rest AS TEXT) FROM parts ORDER BY depth DESC LIMIT 1
	))
WHERE owner_sub IN (SELECT owner_sub FROM `owners_with_nul`) AND (instr(tags, char(0)) > 0 OR instr(title, char(0)) > 0);
--> statement-breakpoint
DELETE FROM `tag_counts` WHERE owner_sub IN (SELECT owner_sub FROM `owners_with_nul`);
--> statement-breakpoint
-- A cleaned row may name a tag twice ("a<NUL>a" became "a a"): count bookmarks, not pieces,
-- as the delete and update triggers do.
INSERT INTO `tag_counts` (owner_sub, tag, count)
WITH RECURSIVE split(id, owner_sub, rest, tag, depth) AS (
	SELECT id, owner_sub, tags || ' ', NULL, 0 FROM `bookmarks`
	WHERE tags <> '' AND owner_sub IN (SELECT owner_sub FROM `owners_with_nul`)
	UNION ALL
	SELECT id, owner_sub, substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1), depth + 1 FROM split
	WHERE rest <> '' AND instr(rest, ' ') > 0 AND depth < 64
)
SELECT owner_sub, tag, count(DISTINCT id) FROM split WHERE tag IS NOT NULL AND tag <> '' GROUP BY owner_sub, tag;
--> statement-breakpoint
DROP TABLE `owners_with_nul`;
