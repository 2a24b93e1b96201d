-- tag_counts keeps how many of an owner's bookmarks carry each tag, in step with
-- every write to bookmarks, as SQLite's triggers do (drizzle/sqlite 0005, 0007).
-- Tags are distinct within a bookmark; DISTINCT and ORDER BY keep the upsert to
-- one row per tag, taken in one order by every writer.
CREATE FUNCTION bookmarks_keep_tag_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.tags <> '' THEN
		UPDATE tag_counts SET count = count - 1
		WHERE owner_sub = OLD.owner_sub AND tag = ANY (string_to_array(OLD.tags, ' '));
		DELETE FROM tag_counts WHERE owner_sub = OLD.owner_sub AND count <= 0;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.tags <> '' THEN
		INSERT INTO tag_counts (owner_sub, tag, count)
		SELECT DISTINCT NEW.owner_sub, tag, 1 FROM unnest(string_to_array(NEW.tags, ' ')) AS tag WHERE tag <> '' ORDER BY tag
		ON CONFLICT (owner_sub, tag) DO UPDATE SET count = tag_counts.count + 1;
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER bookmarks_keep_tag_counts AFTER INSERT OR DELETE OR UPDATE OF tags, owner_sub ON bookmarks
	FOR EACH ROW EXECUTE FUNCTION bookmarks_keep_tag_counts();
