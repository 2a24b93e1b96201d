-- Search looks for words without their accents ('cafe' finds 'Café'), as the
-- SQLite index does (unicode61 remove_diacritics): a text search configuration
-- like 'simple' (no stemming, no stop words) that first drops accents. It is
-- created before the tables, whose generated search_vector column uses it.
-- unaccent is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
CREATE TEXT SEARCH CONFIGURATION bookmarks_search (COPY = pg_catalog.simple);
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION bookmarks_search
	ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart
	WITH unaccent, simple;
