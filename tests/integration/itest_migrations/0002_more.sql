CREATE TABLE widgets (id bigserial PRIMARY KEY, name text NOT NULL);
INSERT INTO migration_log (version) VALUES (2);
