-- 0008 dropped search_vector and added it again with the description in it (a
-- generated column's expression cannot be altered in place); its GIN index went
-- with the dropped column, and drizzle-kit does not know that: it is built again here.
CREATE INDEX IF NOT EXISTS "bookmarks_search_idx" ON "bookmarks" USING gin ("search_vector");
