-- owner_versions moves on every write to an owner's bookmarks, whichever writer made it
-- (the form, the API, an import, an undo, another replica): ETags and remembered totals
-- derive from it. Statement-level triggers with transition tables: an import of many
-- rows moves its owner's version once, not once per row.
CREATE FUNCTION bookmarks_bump_owner_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO owner_versions (owner_sub, version)
		SELECT DISTINCT owner_sub, 1 FROM changed_rows ORDER BY owner_sub
		ON CONFLICT (owner_sub) DO UPDATE SET version = owner_versions.version + 1;
	END IF;
	IF TG_OP = 'DELETE' THEN
		INSERT INTO owner_versions (owner_sub, version)
		SELECT DISTINCT owner_sub, 1 FROM previous_rows ORDER BY owner_sub
		ON CONFLICT (owner_sub) DO UPDATE SET version = owner_versions.version + 1;
	ELSIF TG_OP = 'UPDATE' THEN
		-- A row moved to another owner: the one it left moves too.
		INSERT INTO owner_versions (owner_sub, version)
		SELECT DISTINCT owner_sub, 1 FROM previous_rows WHERE owner_sub NOT IN (SELECT owner_sub FROM changed_rows) ORDER BY owner_sub
		ON CONFLICT (owner_sub) DO UPDATE SET version = owner_versions.version + 1;
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER bookmarks_owner_versions_insert AFTER INSERT ON bookmarks
	REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bookmarks_bump_owner_versions();
--> statement-breakpoint
CREATE TRIGGER bookmarks_owner_versions_update AFTER UPDATE ON bookmarks
	REFERENCING NEW TABLE AS changed_rows OLD TABLE AS previous_rows FOR EACH STATEMENT EXECUTE FUNCTION bookmarks_bump_owner_versions();
--> statement-breakpoint
CREATE TRIGGER bookmarks_owner_versions_delete AFTER DELETE ON bookmarks
	REFERENCING OLD TABLE AS previous_rows FOR EACH STATEMENT EXECUTE FUNCTION bookmarks_bump_owner_versions();
