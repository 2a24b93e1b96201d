-- Owners some of whose bookmarks are dated out of their ids' order (schema.ts). For the
-- others a search's newest matches are its highest ids, and the search skips the check
-- that scanned the owner's bookmarks dated among them (0.3 ms for a word one bookmark in
-- a few hundred holds, at 100,000 bookmarks).
CREATE TABLE `owner_dates_out_of_order` (
	`owner_sub` text PRIMARY KEY NOT NULL
);
--> statement-breakpoint
-- In id order, an owner's dates never go back.
INSERT INTO `owner_dates_out_of_order` (owner_sub)
SELECT DISTINCT owner_sub FROM (
	SELECT owner_sub, created_at, lag(created_at) OVER (PARTITION BY owner_sub ORDER BY id) AS before FROM `bookmarks`
) WHERE created_at < before;
--> statement-breakpoint
-- Each probe reads the owner's date index: a bookmark saved now finds nothing dated after
-- it at once, and one dated before others is found out by the first of them. The second
-- probe only runs for a row inserted under an id below the highest (a restore).
CREATE TRIGGER `owner_dates_out_of_order_after_insert` AFTER INSERT ON `bookmarks`
WHEN NOT EXISTS (SELECT 1 FROM `owner_dates_out_of_order` WHERE owner_sub = new.owner_sub)
	AND (
		EXISTS (SELECT 1 FROM `bookmarks` WHERE owner_sub = new.owner_sub AND created_at > new.created_at AND id < new.id)
		OR (new.id < (SELECT max(id) FROM `bookmarks`)
			AND EXISTS (SELECT 1 FROM `bookmarks` WHERE owner_sub = new.owner_sub AND created_at < new.created_at AND id > new.id))
	)
BEGIN
	INSERT OR IGNORE INTO `owner_dates_out_of_order` (owner_sub) VALUES (new.owner_sub);
END;
--> statement-breakpoint
-- The app never changes a bookmark's id, date or owner; should anything else, the owner is marked.
CREATE TRIGGER `owner_dates_out_of_order_after_update` AFTER UPDATE OF id, created_at, owner_sub ON `bookmarks`
WHEN new.id IS NOT old.id OR new.created_at IS NOT old.created_at OR new.owner_sub IS NOT old.owner_sub
BEGIN
	INSERT OR IGNORE INTO `owner_dates_out_of_order` (owner_sub) VALUES (new.owner_sub);
END;
