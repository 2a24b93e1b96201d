CREATE TABLE `pending_undos` (
	`token` text PRIMARY KEY NOT NULL,
	`owner_sub` text NOT NULL,
	`bookmark_id` integer NOT NULL,
	`url` text NOT NULL,
	`title` text NOT NULL,
	`tags` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pending_undos_owner_idx` ON `pending_undos` (`owner_sub`,`expires_at`);--> statement-breakpoint
CREATE INDEX `pending_undos_expires_idx` ON `pending_undos` (`expires_at`);--> statement-breakpoint
CREATE TABLE `rate_limit_hits` (
	`key` text PRIMARY KEY NOT NULL,
	`hits` integer NOT NULL,
	`resets_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rate_limit_hits_resets_idx` ON `rate_limit_hits` (`resets_at`);