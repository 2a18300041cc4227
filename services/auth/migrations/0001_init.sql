-- The auth service's schema (services/auth/README.md). Times are timestamptz; secrets are
-- sealed under the key-encryption key (key_encryption.h) with the associated data noted.

-- People: local users (password, TOTP) and users created by OIDC logins.
CREATE TABLE users (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._@-]{1,64}$'),
  roles jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(roles) = 'array'),
  traits jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(traits) = 'object'),
  -- 'local' or 'oidc:<connector>'
  origin text NOT NULL CHECK (origin = 'local' OR origin ~ '^oidc:[a-z][a-z0-9-]*$'),
  -- Argon2id PHC string; '' = no password (cannot log in with one)
  password_hash text NOT NULL DEFAULT '',
  -- TOTP secret when enabled; sealed, associated data 'totp:<name>'
  totp_secret bytea,
  create_time timestamptz NOT NULL,
  update_time timestamptz NOT NULL
);
-- 'alice' and 'Alice' cannot both exist: names are compared case-insensitively elsewhere
-- (policy's self-review check), so they must not name two people.
CREATE UNIQUE INDEX users_name_lower ON users (lower(name));

-- TOTP secrets waiting for ConfirmTotp; sealed, associated data 'totp-enrollment:<name>'.
CREATE TABLE totp_enrollments (
  user_name text PRIMARY KEY REFERENCES users (name) ON DELETE CASCADE,
  secret bytea NOT NULL,
  expire_time timestamptz NOT NULL
);

-- The last TOTP time step accepted per user (replay refusal, totp.h).
CREATE TABLE totp_steps (
  user_name text PRIMARY KEY REFERENCES users (name) ON DELETE CASCADE,
  last_step bigint NOT NULL
);

-- Failed logins per submitted user name, whether or not the user exists (lockout.h).
CREATE TABLE login_failures (
  user_name text PRIMARY KEY,
  failures integer NOT NULL CHECK (failures > 0),
  last_failure timestamptz NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last_failure);

-- Sessions (one per issued token). A revoked session gets the next value of the revocation
-- counter as its cursor; revocations take the counter's row lock until they commit, so
-- cursors become visible in increasing order and ListRevokedSessions never skips one.
CREATE TABLE sessions (
  id text PRIMARY KEY,
  user_name text NOT NULL,
  auth_method text NOT NULL,
  mfa boolean NOT NULL,
  issue_time timestamptz NOT NULL,
  expire_time timestamptz NOT NULL CHECK (expire_time > issue_time),
  revoked_at timestamptz,
  revoked_by text,
  revocation_cursor bigint UNIQUE,
  CHECK ((revoked_at IS NULL) = (revocation_cursor IS NULL))
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expire ON sessions (expire_time);

CREATE TABLE revocation_counter (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  value bigint NOT NULL
);
INSERT INTO revocation_counter (value) VALUES (0);

-- Session token signing keys (Ed25519). A key is published (GetJwks) from create_time and
-- signs from activate_time, so verifiers can know it before they see a token it signed.
-- private_key is the sealed 32-byte seed, associated data 'signing_key:<kid>'.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  algorithm text NOT NULL CHECK (algorithm = 'EdDSA'),
  public_key bytea NOT NULL,
  private_key bytea NOT NULL,
  create_time timestamptz NOT NULL,
  activate_time timestamptz NOT NULL CHECK (activate_time >= create_time)
);
CREATE INDEX signing_keys_activate ON signing_keys (activate_time);

-- OIDC logins in flight (single use). The key is the hex SHA-256 of the state; the nonce and
-- PKCE verifier are sealed together, associated data 'oidc_state:<state_hash>'.
CREATE TABLE oidc_states (
  state_hash text PRIMARY KEY,
  connector text NOT NULL,
  secrets bytea NOT NULL,
  redirect_url text NOT NULL,
  expire_time timestamptz NOT NULL
);
CREATE INDEX oidc_states_expire ON oidc_states (expire_time);

-- Audit events, written in the same transaction as the change they describe. The audit
-- service's delivery (its own issue) will read pending rows in sequence order, ingest them
-- (idempotent by id) and set delivered_at.
CREATE TABLE audit_outbox (
  id uuid PRIMARY KEY,
  sequence bigserial NOT NULL UNIQUE,
  type text NOT NULL,
  -- serialized jit.common.v1.AuditEvent (never a secret)
  event bytea NOT NULL,
  create_time timestamptz NOT NULL,
  delivered_at timestamptz
);
CREATE INDEX audit_outbox_pending ON audit_outbox (sequence) WHERE delivered_at IS NULL;
