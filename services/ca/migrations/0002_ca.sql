-- The certificate authority's keys and the record of every certificate it signed
-- (services/ca/postgres_ca_key_store.h, postgres_issued_cert_store.h). Migration 0001 is the
-- shared audit outbox.
--
-- ca_keys: one row per CA key. The private key is PKCS#8 PEM sealed under the
-- key-encryption key (common/crypto/key_encryption.h, associated data "ca_key:<key_id>"),
-- opened only in memory. `state` is ready for rotation (issue 11): 'active' signs, 'next' is
-- trusted and will sign, 'previous' is still trusted, 'retired' is kept for the record.
-- `public_key` is what peers trust: the OpenSSH public key line of an SSH CA, the
-- self-signed CA certificate (PEM) of an X.509 CA (created once, with the key, so every
-- replica serves the same certificate).
CREATE TABLE ca_keys (
  key_id text COLLATE "C" PRIMARY KEY CHECK (key_id <> ''),
  kind text NOT NULL CHECK (kind IN ('ssh-user', 'ssh-host', 'x509-user')),
  algorithm text NOT NULL CHECK (algorithm IN ('ed25519', 'ecdsa-p256', 'rsa')),
  state text NOT NULL CHECK (state IN ('active', 'next', 'previous', 'retired')),
  public_key text NOT NULL,
  sealed_private_key bytea NOT NULL,
  create_time timestamptz NOT NULL,
  state_time timestamptz NOT NULL
);
-- At most one signing key and one next key per kind: two replicas starting together on an
-- empty database insert with ON CONFLICT DO NOTHING, and the second finds the first's key.
CREATE UNIQUE INDEX ca_keys_one_active ON ca_keys (kind) WHERE state = 'active';
CREATE UNIQUE INDEX ca_keys_one_next ON ca_keys (kind) WHERE state = 'next';

-- issued_certs: every certificate signed, newest last by `seq` (the page order of
-- ListIssuedCerts). Serials are random: unique per kind (SSH serials are decimal uint64,
-- X.509 serials lowercase hex). revoke_* are for revocation (issue 11).
CREATE TABLE issued_certs (
  seq bigserial NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('ssh-user', 'ssh-host', 'x509-user')),
  serial text COLLATE "C" NOT NULL CHECK (serial <> ''),
  ca_key_id text NOT NULL REFERENCES ca_keys (key_id),
  key_id text NOT NULL,
  principals text[] NOT NULL,
  user_name text NOT NULL,
  grant_ids text[] NOT NULL,
  public_key_fingerprint text NOT NULL,
  valid_after timestamptz NOT NULL,
  valid_before timestamptz NOT NULL CHECK (valid_before > valid_after),
  issue_time timestamptz NOT NULL,
  certificate text NOT NULL,
  revoke_time timestamptz,
  revoke_reason text,
  PRIMARY KEY (kind, serial)
);
CREATE INDEX issued_certs_user ON issued_certs (user_name, seq);
CREATE INDEX issued_certs_grant_ids ON issued_certs USING gin (grant_ids);
-- Unexpired certificates (revocation lists cover only these).
CREATE INDEX issued_certs_valid_before ON issued_certs (valid_before);
