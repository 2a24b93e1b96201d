CREATE TABLE `tag_counts` (
	`owner_sub` text NOT NULL,
	`tag` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`owner_sub`, `tag`)
);
--> statement-breakpoint
CREATE INDEX `tag_counts_owner_count_idx` ON `tag_counts` (`owner_sub`,`count`);