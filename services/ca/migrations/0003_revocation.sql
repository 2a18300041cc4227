-- Revocation (issue 11; services/ca/postgres_revocation_store.h). A revoked certificate is
-- an issued_certs row with revoke_time set (migration 0002); lists cover those not expired.
--
-- revocation_lists: per kind, the number of the last revocation list published (the KRL's
-- version, the CRL's cRLNumber), a digest of the revoked set it covered and its thisUpdate.
-- The number grows by one whenever the covered set changes (a revocation, or an expiry that
-- drops a certificate off) or the list is due for reissue, so every replica serves the same
-- number for the same content and numbers only grow.
CREATE TABLE revocation_lists (
  kind text COLLATE "C" PRIMARY KEY CHECK (kind IN ('ssh-user', 'ssh-host', 'x509-user')),
  number bigint NOT NULL CHECK (number >= 0),  -- 0: created, nothing published yet
  digest text NOT NULL,
  this_update timestamptz NOT NULL
);

-- The revoked, unexpired certificates of a kind (what a list covers) without a scan of every
-- certificate ever issued.
CREATE INDEX issued_certs_revoked ON issued_certs (kind, valid_before)
  WHERE revoke_time IS NOT NULL;

-- RevokeCerts names serials without their kind (the primary key leads with the kind).
CREATE INDEX issued_certs_serial ON issued_certs (serial);
