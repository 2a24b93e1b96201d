-- The rate limits count in a file of their own beside the database (src/db/counter-db.ts),
-- so that requests which only read never wait for the writer an import holds. The table
-- migration 0009 made here has been unused since; it held nothing that lasts past a window.
DROP TABLE `rate_limit_hits`;
