CREATE TABLE "owner_versions" (
	"owner_sub" text PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL
);
