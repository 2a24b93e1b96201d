-- A data version must never come back to a value it had: a backup restored or a
-- database copied (npm run db:copy) would otherwise restart the counts, and an ETag
-- from before could match a different list. Each write now moves the version to the
-- clock's milliseconds, or one past the version, whichever is greater.
CREATE OR REPLACE FUNCTION bookmarks_bump_owner_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
BEGIN
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO owner_versions (owner_sub, version)
		SELECT DISTINCT owner_sub, now_ms FROM changed_rows ORDER BY owner_sub
		ON CONFLICT (owner_sub) DO UPDATE SET version = GREATEST(owner_versions.version + 1, excluded.version);
	END IF;
	IF TG_OP = 'DELETE' THEN
		INSERT INTO owner_versions (owner_sub, version)
		SELECT DISTINCT owner_sub, now_ms FROM previous_rows ORDER BY owner_sub
		ON CONFLICT (owner_sub) DO UPDATE SET version = GREATEST(owner_versions.version + 1, excluded.version);
	ELSIF TG_OP = 'UPDATE' THEN
		-- A row moved to another owner: the one it left moves too.
		INSERT INTO owner_versions (owner_sub, version)
		SELECT DISTINCT owner_sub, now_ms FROM previous_rows WHERE owner_sub NOT IN (SELECT owner_sub FROM changed_rows) ORDER BY owner_sub
		ON CONFLICT (owner_sub) DO UPDATE SET version = GREATEST(owner_versions.version + 1, excluded.version);
	END IF;
	RETURN NULL;
END
$$;
