-- The audit outbox of one service (common/audit/postgres_audit_outbox.h), the same in every
-- schema: jit_sql_migrations(audit_outbox_version = N) adds this file as migration
-- NNNN_audit_outbox.sql of the service (//bazel:sql_migrations.bzl).
--
-- Events are written in the same transaction as the change they describe. The outbox relay
-- (the audit issue) claims undelivered rows in sequence order (FOR UPDATE SKIP LOCKED, so
-- replicas share the work and one source's order is kept), ingests them into the audit
-- service (idempotent by id), sets delivered_at, and deletes delivered rows after a
-- retention period.
--
-- IF NOT EXISTS: auth created this very table in its first migration; there this only adds
-- what is missing.
CREATE TABLE IF NOT EXISTS audit_outbox (
  id uuid PRIMARY KEY,
  sequence bigserial NOT NULL UNIQUE,
  type text NOT NULL,
  -- serialized jit.common.v1.AuditEvent (never a secret)
  event bytea NOT NULL,
  create_time timestamptz NOT NULL,
  delivered_at timestamptz
);
-- What the relay claims next: undelivered rows in order.
CREATE INDEX IF NOT EXISTS audit_outbox_pending ON audit_outbox (sequence)
  WHERE delivered_at IS NULL;
-- What the retention sweep deletes: delivered rows by age.
CREATE INDEX IF NOT EXISTS audit_outbox_delivered ON audit_outbox (delivered_at)
  WHERE delivered_at IS NOT NULL;
