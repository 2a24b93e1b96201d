CREATE TABLE `owner_versions` (
	`owner_sub` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
