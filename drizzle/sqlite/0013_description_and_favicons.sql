CREATE TABLE `favicons` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner_sub` text NOT NULL,
	`host` text NOT NULL,
	`content_type` text,
	`bytes` blob,
	`fetched_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `favicons_owner_host_idx` ON `favicons` (`owner_sub`,`host`);--> statement-breakpoint
ALTER TABLE `bookmarks` ADD `description` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `pending_undos` ADD `description` text DEFAULT '' NOT NULL;