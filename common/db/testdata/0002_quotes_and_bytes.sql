-- Characters the embedding must keep exactly: "double", 'single', back\slash, ??=, tab	, é.
INSERT INTO widgets (id, label) VALUES (1, 'it''s "quoted" \ and ??= é');
