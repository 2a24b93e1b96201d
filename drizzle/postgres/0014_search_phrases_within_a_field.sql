-- Each field's words with their own weight (title A, address B, tags C, description D), so a
-- quoted phrase is matched within one field as on SQLite: one vector of the fields joined
-- made the last word of a title and the first of its address a phrase. A word is cut after
-- every 250 characters, as PostgreSQL leaves out of a vector any word over 2,047 bytes. The
-- GIN index goes with the dropped column (see 0009) and is built again.
ALTER TABLE "bookmarks" drop column "search_vector";--> statement-breakpoint
ALTER TABLE "bookmarks" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('bookmarks_search'::regconfig, regexp_replace(translate(title, '/.:-_?=&#%+~@!,;()[]{}<>|*^$''"`', '                                '), '([^[:space:]]{250})', '\1 ', 'g')), 'A') || setweight(to_tsvector('bookmarks_search'::regconfig, regexp_replace(translate(url, '/.:-_?=&#%+~@!,;()[]{}<>|*^$''"`', '                                '), '([^[:space:]]{250})', '\1 ', 'g')), 'B') || setweight(to_tsvector('bookmarks_search'::regconfig, regexp_replace(translate(tags, '/.:-_?=&#%+~@!,;()[]{}<>|*^$''"`', '                                '), '([^[:space:]]{250})', '\1 ', 'g')), 'C') || to_tsvector('bookmarks_search'::regconfig, regexp_replace(translate(description, '/.:-_?=&#%+~@!,;()[]{}<>|*^$''"`', '                                '), '([^[:space:]]{250})', '\1 ', 'g')) || array_to_tsvector(ARRAY['~' || md5(owner_sub)])) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "bookmarks_search_idx" ON "bookmarks" USING gin ("search_vector");
