CREATE TABLE `bookmarks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner_sub` text NOT NULL,
	`url` text NOT NULL,
	`title` text NOT NULL,
	`tags` text DEFAULT '' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `bookmarks_owner_created_idx` ON `bookmarks` (`owner_sub`,`created_at`,`id`);