-- The audit sink's schema: hash-chained events, the chain's head, signed checkpoints
-- (docs/AUDIT.md specifies the chain). The schema's owner applies this migration; the sink
-- connects as a login role that is a member of jit_audit_writer, which may read and append
-- events and checkpoints but never change or delete one (services/audit/README.md,
-- "Database roles").

-- The writer group role is cluster-wide: a deployment creates it beforehand (deploy/local/up.sh
-- does); it is created here only when the migrating role may create roles (a superuser).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jit_audit_writer') THEN
    BEGIN
      CREATE ROLE jit_audit_writer NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created by a concurrent migration of another database
      WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'role jit_audit_writer does not exist and % may not create it', current_user
          USING HINT = 'as a superuser: CREATE ROLE jit_audit_writer NOLOGIN; '
                       'GRANT jit_audit_writer TO <the sink''s login role>';
    END;
  END IF;
END
$$;

-- One row per stored event; sequence n's hash = SHA-256(hash(n-1) || canonical(event n)).
CREATE TABLE events (
  sequence bigint PRIMARY KEY CHECK (sequence >= 1),
  id uuid NOT NULL UNIQUE,
  code text NOT NULL,
  -- "C" collation: a type prefix ("access_request.") is a btree range on any database.
  type text COLLATE "C" NOT NULL,
  time timestamptz NOT NULL,
  service text NOT NULL,
  replica text NOT NULL,
  actor text NOT NULL,
  target text NOT NULL,
  outcome smallint NOT NULL CHECK (outcome BETWEEN 0 AND 3),
  message text NOT NULL,
  details jsonb NOT NULL,
  request_id text NOT NULL,
  session_id text NOT NULL,
  remote_addr text NOT NULL,
  ingest_time timestamptz NOT NULL,
  prev_hash bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);

-- SearchEvents orders by (time, sequence) either way and filters by a time range and at
-- most one of actor, target, request id or type (exact or prefix) through an index; the
-- outcome and further filters are checked on the rows the index yields.
CREATE INDEX events_time ON events (time, sequence);
CREATE INDEX events_actor ON events (actor, time, sequence);
CREATE INDEX events_target ON events (target, time, sequence);
CREATE INDEX events_request ON events (request_id, time, sequence) WHERE request_id <> '';
CREATE INDEX events_type ON events (type, time, sequence);

-- The chain's head: one row, locked FOR UPDATE by every append, so that appends from any
-- number of replicas run one after another and never fork the chain.
CREATE TABLE chain_head (
  id smallint PRIMARY KEY CHECK (id = 1),
  sequence bigint NOT NULL CHECK (sequence >= 0),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);
INSERT INTO chain_head (id, sequence, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

-- Signed checkpoints (docs/AUDIT.md, "Signed checkpoints").
CREATE TABLE checkpoints (
  sequence bigint PRIMARY KEY CHECK (sequence >= 1),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32),
  signed_at timestamptz NOT NULL,
  key_id text NOT NULL,
  public_key bytea NOT NULL,
  signature bytea NOT NULL
);

REVOKE ALL ON events, chain_head, checkpoints FROM PUBLIC;
GRANT USAGE ON SCHEMA audit TO jit_audit_writer;
GRANT SELECT, INSERT ON events TO jit_audit_writer;
GRANT SELECT, UPDATE ON chain_head TO jit_audit_writer;
GRANT SELECT, INSERT ON checkpoints TO jit_audit_writer;
GRANT SELECT ON schema_migrations TO jit_audit_writer;
