-- A test migration: a table, in the schema being migrated (search_path is set to it).
CREATE TABLE widgets (
  id bigint PRIMARY KEY,
  label text NOT NULL
);
