-- Test migrations for service_startup_test: every application appends a row to a table
-- without a unique constraint, so a migration applied twice shows up as two rows.
CREATE TABLE migration_log (version int NOT NULL, applied_by int NOT NULL DEFAULT pg_backend_pid());
-- Widen the window in which a second replica could race the first.
SELECT pg_sleep(0.3);
INSERT INTO migration_log (version) VALUES (1);
