-- Enrolment by one-time join token (services/ca/join, issue 11).
--
-- join_tokens: created by an admin (CreateJoinToken), redeemed once by a host (EnrollHost)
-- or a service replica (JoinService). Only SHA-256 of the secret token is stored.
-- redeem_time is set, under a row lock, by the one redemption that wins.
CREATE TABLE join_tokens (
  token_id text COLLATE "C" PRIMARY KEY CHECK (token_id <> ''),
  token_hash text NOT NULL CHECK (token_hash <> ''),
  kind text NOT NULL CHECK (kind IN ('host', 'service')),
  allowed_names text[] NOT NULL CHECK (cardinality(allowed_names) > 0),
  creator text NOT NULL,
  create_time timestamptz NOT NULL,
  expire_time timestamptz NOT NULL CHECK (expire_time > create_time),
  redeem_time timestamptz,
  redeemed_as text
);
CREATE INDEX join_tokens_expire_time ON join_tokens (expire_time);

-- enrolled_hosts: what a host enrolled with, for RenewHost (one row per host identity name;
-- a later enrolment of the same name with a new token replaces it).
CREATE TABLE enrolled_hosts (
  name text COLLATE "C" PRIMARY KEY CHECK (name <> ''),
  principals text[] NOT NULL CHECK (cardinality(principals) > 0),
  host_key_fingerprint text NOT NULL,
  token_id text NOT NULL REFERENCES join_tokens (token_id),
  enroll_time timestamptz NOT NULL
);

-- internal_ca: the X.509 CA of service (and host) identities, imported once from files
-- (--internal_ca_cert_file / --internal_ca_key_file) and then served from here to every
-- replica. The key is sealed under the key-encryption key (associated data "internal_ca").
CREATE TABLE internal_ca (
  id smallint PRIMARY KEY CHECK (id = 1),
  certificate_pem text NOT NULL,
  sealed_private_key bytea NOT NULL,
  import_time timestamptz NOT NULL
);
