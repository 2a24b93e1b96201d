-- Keep tag_counts in step with bookmarks.tags (single-space separated).
-- Splitting happens here, in SQL, so every writer (HTML routes, import, API)
-- keeps the counts right without remembering to.
CREATE TRIGGER `tag_counts_after_insert` AFTER INSERT ON `bookmarks` WHEN new.tags <> '' BEGIN
	INSERT INTO `tag_counts` (owner_sub, tag, count)
	WITH RECURSIVE split(rest, tag) AS (
		SELECT new.tags || ' ', NULL
		UNION ALL
		SELECT substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1) FROM split WHERE rest <> ''
	)
	SELECT new.owner_sub, tag, 1 FROM split WHERE tag IS NOT NULL AND tag <> ''
	ON CONFLICT (owner_sub, tag) DO UPDATE SET count = count + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `tag_counts_after_delete` AFTER DELETE ON `bookmarks` WHEN old.tags <> '' BEGIN
	UPDATE `tag_counts` SET count = count - 1
	WHERE owner_sub = old.owner_sub AND tag IN (
		WITH RECURSIVE split(rest, tag) AS (
			SELECT old.tags || ' ', NULL
			UNION ALL
			SELECT substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1) FROM split WHERE rest <> ''
		)
		SELECT tag FROM split WHERE tag IS NOT NULL AND tag <> ''
	);
	DELETE FROM `tag_counts` WHERE owner_sub = old.owner_sub AND count <= 0;
END;
--> statement-breakpoint
CREATE TRIGGER `tag_counts_after_update` AFTER UPDATE OF tags, owner_sub ON `bookmarks` BEGIN
	UPDATE `tag_counts` SET count = count - 1
	WHERE owner_sub = old.owner_sub AND tag IN (
		WITH RECURSIVE split(rest, tag) AS (
			SELECT old.tags || ' ', NULL
			UNION ALL
			SELECT substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1) FROM split WHERE rest <> ''
		)
		SELECT tag FROM split WHERE tag IS NOT NULL AND tag <> ''
	);
	DELETE FROM `tag_counts` WHERE owner_sub = old.owner_sub AND count <= 0;
	INSERT INTO `tag_counts` (owner_sub, tag, count)
	WITH RECURSIVE split(rest, tag) AS (
		SELECT new.tags || ' ', NULL
		UNION ALL
		SELECT substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1) FROM split WHERE rest <> ''
	)
	SELECT new.owner_sub, tag, 1 FROM split WHERE tag IS NOT NULL AND tag <> ''
	ON CONFLICT (owner_sub, tag) DO UPDATE SET count = count + 1;
END;
--> statement-breakpoint
INSERT INTO `tag_counts` (owner_sub, tag, count)
WITH RECURSIVE split(owner_sub, rest, tag) AS (
	SELECT owner_sub, tags || ' ', NULL FROM `bookmarks` WHERE tags <> ''
	UNION ALL
	SELECT owner_sub, substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1) FROM split WHERE rest <> ''
)
SELECT owner_sub, tag, count(*) FROM split WHERE tag IS NOT NULL AND tag <> '' GROUP BY owner_sub, tag;
