-- A data version must never come back to a value it had: a backup restored or a
-- database copied (npm run db:copy) would otherwise restart the counts, and an ETag
-- from before could match a different list. Each write now moves the version to the
-- clock's milliseconds, or one past the version, whichever is greater.
DROP TRIGGER `owner_versions_after_insert`;
--> statement-breakpoint
DROP TRIGGER `owner_versions_after_delete`;
--> statement-breakpoint
DROP TRIGGER `owner_versions_after_update`;
--> statement-breakpoint
CREATE TRIGGER `owner_versions_after_insert` AFTER INSERT ON `bookmarks` BEGIN
	INSERT INTO `owner_versions` (owner_sub, version) VALUES (new.owner_sub, CAST(unixepoch('subsec') * 1000 AS INTEGER))
	ON CONFLICT (owner_sub) DO UPDATE SET version = max(version + 1, excluded.version);
END;
--> statement-breakpoint
CREATE TRIGGER `owner_versions_after_delete` AFTER DELETE ON `bookmarks` BEGIN
	INSERT INTO `owner_versions` (owner_sub, version) VALUES (old.owner_sub, CAST(unixepoch('subsec') * 1000 AS INTEGER))
	ON CONFLICT (owner_sub) DO UPDATE SET version = max(version + 1, excluded.version);
END;
--> statement-breakpoint
CREATE TRIGGER `owner_versions_after_update` AFTER UPDATE ON `bookmarks` BEGIN
	INSERT INTO `owner_versions` (owner_sub, version) VALUES (new.owner_sub, CAST(unixepoch('subsec') * 1000 AS INTEGER))
	ON CONFLICT (owner_sub) DO UPDATE SET version = max(version + 1, excluded.version);
	INSERT INTO `owner_versions` (owner_sub, version) SELECT old.owner_sub, CAST(unixepoch('subsec') * 1000 AS INTEGER) WHERE old.owner_sub <> new.owner_sub
	ON CONFLICT (owner_sub) DO UPDATE SET version = max(version + 1, excluded.version);
END;
