-- OIDC logins no longer store anything when they begin: the state parameter is sealed under
-- the KEK and carries the nonce, PKCE verifier, redirect URL and expiry itself
-- (oidc/sealed_state.h). What remains is single use: the login id of a state is recorded here
-- once the provider accepted its code and the ID token checked out; a second completion with
-- the same state conflicts and is refused. Rows are deleted by the maintenance loop some time
-- after expire_time (the state is refused as expired by then).
CREATE TABLE oidc_used_states (
  login_id bytea PRIMARY KEY CHECK (octet_length(login_id) = 16),
  expire_time timestamptz NOT NULL
);
CREATE INDEX oidc_used_states_expire ON oidc_used_states (expire_time);

-- Logins in flight under the old scheme cannot complete after this (start again).
DROP TABLE oidc_states;
