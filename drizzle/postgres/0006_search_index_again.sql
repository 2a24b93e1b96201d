-- 0005 replaced the search_vector column (it now holds the owner's lexeme too), and
-- dropping the column dropped its GIN index: the same index again, on the new column.
CREATE INDEX IF NOT EXISTS "bookmarks_search_idx" ON "bookmarks" USING gin ("search_vector");
