-- Access requests (PostgresRequestStore, postgres_request_store.h). Migration 0001 is the
-- shared audit outbox.
--
-- requests: one row per request. `body` is the serialized jit.common.v1.AccessRequest
-- (with its reviews, without its history); the columns beside it are what queries filter
-- and sort on, kept equal to the body by the store in the same statement.
--   due_time: when the sweeper must act (a pending request's pending_expire_time, an
--   approved grant's access_expire_time); NULL once terminal.
CREATE SEQUENCE revision_seq;

CREATE TABLE requests (
  id uuid PRIMARY KEY,
  user_name text NOT NULL,
  state smallint NOT NULL CHECK (state BETWEEN 1 AND 6),
  create_time timestamptz NOT NULL,
  due_time timestamptz,
  access_expire_time timestamptz,
  revision bigint NOT NULL,
  request_key text,
  content_hash text,
  body bytea NOT NULL,
  CHECK ((request_key IS NULL) = (content_hash IS NULL))
);
-- Idempotency: one request per (user, key).
CREATE UNIQUE INDEX requests_user_key ON requests (user_name, request_key)
  WHERE request_key IS NOT NULL;
-- Lists: newest first, keyset on (create_time, id), per user and per state.
CREATE INDEX requests_by_time ON requests (create_time DESC, id DESC);
CREATE INDEX requests_by_user ON requests (user_name, create_time DESC, id DESC);
CREATE INDEX requests_by_state ON requests (state, create_time DESC, id DESC);
-- The sweeper: live rows by due time.
CREATE INDEX requests_due ON requests (due_time) WHERE due_time IS NOT NULL;
-- Grants of a user (approved or revoked, by window end).
CREATE INDEX requests_grants ON requests (user_name, access_expire_time)
  WHERE state IN (2, 6);

-- One review per reviewer per request.
CREATE TABLE reviews (
  request_id uuid NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  reviewer text NOT NULL,
  verdict smallint NOT NULL CHECK (verdict IN (1, 2)),
  create_time timestamptz NOT NULL,
  review bytea NOT NULL,  -- serialized jit.common.v1.AccessReview
  PRIMARY KEY (request_id, reviewer)
);

-- Every state change: who, when, why.
CREATE TABLE transitions (
  request_id uuid NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  revision bigint NOT NULL,
  from_state smallint NOT NULL,
  to_state smallint NOT NULL,
  actor text NOT NULL,
  time timestamptz NOT NULL,
  reason text NOT NULL,
  PRIMARY KEY (request_id, revision)
);
