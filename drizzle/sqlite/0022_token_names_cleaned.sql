-- Token names stored before they were cleaned as titles are (cleanText: control characters,
-- a NUL among them, and invisible ones) are stored by that rule now. PostgreSQL refuses a NUL
-- in text, so `npm run db:copy` stopped at the first such name, having copied nothing.
-- clean_token_name is the app's own rule (src/db/sqlite.ts); only names that change are written.
UPDATE `api_tokens` SET name = clean_token_name(name) WHERE name <> clean_token_name(name);
