-- tag_counts kept per statement instead of per row (0002). Within one transaction,
-- updating one row again and again makes PostgreSQL walk a longer chain of row
-- versions each time: an import or a db:copy of many bookmarks sharing a tag took
-- time in the square of their number. Now each statement adds or subtracts its
-- whole count for each tag once, from its transition tables.
DROP TRIGGER bookmarks_keep_tag_counts ON bookmarks;
--> statement-breakpoint
DROP FUNCTION bookmarks_keep_tag_counts();
--> statement-breakpoint
CREATE FUNCTION bookmarks_count_tags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		UPDATE tag_counts SET count = tag_counts.count - gone.n
		FROM (
			SELECT owner_sub, tag, count(*) AS n FROM previous_rows, unnest(string_to_array(previous_rows.tags, ' ')) AS tag
			WHERE tag <> '' GROUP BY owner_sub, tag
		) AS gone
		WHERE tag_counts.owner_sub = gone.owner_sub AND tag_counts.tag = gone.tag;
		DELETE FROM tag_counts WHERE count <= 0 AND owner_sub IN (SELECT owner_sub FROM previous_rows);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO tag_counts (owner_sub, tag, count)
		SELECT owner_sub, tag, count(*) FROM changed_rows, unnest(string_to_array(changed_rows.tags, ' ')) AS tag
		WHERE tag <> '' GROUP BY owner_sub, tag ORDER BY owner_sub, tag
		ON CONFLICT (owner_sub, tag) DO UPDATE SET count = tag_counts.count + excluded.count;
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER bookmarks_count_tags_insert AFTER INSERT ON bookmarks
	REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bookmarks_count_tags();
--> statement-breakpoint
CREATE TRIGGER bookmarks_count_tags_update AFTER UPDATE ON bookmarks
	REFERENCING NEW TABLE AS changed_rows OLD TABLE AS previous_rows FOR EACH STATEMENT EXECUTE FUNCTION bookmarks_count_tags();
--> statement-breakpoint
CREATE TRIGGER bookmarks_count_tags_delete AFTER DELETE ON bookmarks
	REFERENCING OLD TABLE AS previous_rows FOR EACH STATEMENT EXECUTE FUNCTION bookmarks_count_tags();
