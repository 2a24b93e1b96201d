-- Issue 17: tags that only look like others ('w<U+200B>eb', fullwidth 'web') and titles
-- with bidi controls or invisible characters, stored before every writer refused them,
-- are stored by the same rules now. fold_tags and clean_title are the app's own rules
-- (src/bookmarks/validation.ts), registered on the connection by openDb. Only rows that
-- change are written; the tag_counts and search-index triggers follow the UPDATE.
UPDATE `bookmarks` SET tags = fold_tags(tags), title = clean_title(title, url)
WHERE tags <> fold_tags(tags) OR title <> clean_title(title, url);
