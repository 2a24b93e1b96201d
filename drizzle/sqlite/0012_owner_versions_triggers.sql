-- owner_versions moves on every write to an owner's bookmarks, whichever writer made it
-- (the form, the API, an import, an undo, another process): ETags and remembered totals
-- derive from it. One row per owner; an UPDATE that moves a bookmark to another owner
-- moves both owners' versions.
CREATE TRIGGER `owner_versions_after_insert` AFTER INSERT ON `bookmarks` BEGIN
	INSERT INTO `owner_versions` (owner_sub, version) VALUES (new.owner_sub, 1)
	ON CONFLICT (owner_sub) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `owner_versions_after_delete` AFTER DELETE ON `bookmarks` BEGIN
	INSERT INTO `owner_versions` (owner_sub, version) VALUES (old.owner_sub, 1)
	ON CONFLICT (owner_sub) DO UPDATE SET version = version + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `owner_versions_after_update` AFTER UPDATE ON `bookmarks` BEGIN
	INSERT INTO `owner_versions` (owner_sub, version) VALUES (new.owner_sub, 1)
	ON CONFLICT (owner_sub) DO UPDATE SET version = version + 1;
	INSERT INTO `owner_versions` (owner_sub, version) SELECT old.owner_sub, 1 WHERE old.owner_sub <> new.owner_sub
	ON CONFLICT (owner_sub) DO UPDATE SET version = version + 1;
END;
