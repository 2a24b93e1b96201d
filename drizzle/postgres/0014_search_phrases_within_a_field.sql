-- Each field's words with their own weight (title A, address B, tags C, description D), so a
-- quoted phrase is matched within one field as on SQLite: one vector of the fields joined
-- made the last word of a title and the first of its address a phrase. The GIN index goes
-- with the dropped column (see 0009) and is built again.
ALTER TABLE "bookmarks" drop column "search_vector";--> statement-breakpoint
ALTER TABLE "bookmarks" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('bookmarks_search'::regconfig, translate(title, '/.:-_?=&#%+~@!,;()[]{}<>|*^$''"`', '                                ')), 'A') || setweight(to_tsvector('bookmarks_search'::regconfig, translate(url, '/.:-_?=&#%+~@!,;()[]{}<>|*^$''"`', '                                ')), 'B') || setweight(to_tsvector('bookmarks_search'::regconfig, translate(tags, '/.:-_?=&#%+~@!,;()[]{}<>|*^$''"`', '                                ')), 'C') || to_tsvector('bookmarks_search'::regconfig, translate(description, '/.:-_?=&#%+~@!,;()[]{}<>|*^$''"`', '                                ')) || array_to_tsvector(ARRAY['~' || md5(owner_sub)])) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "bookmarks_search_idx" ON "bookmarks" USING gin ("search_vector");
