-- A login starts its session only while its user is still what the login authenticated and
-- read (user_store.h, session_store.h). Every change that ends a user's sessions (roles or
-- traits, password, deletion) gives the row a new session_generation; the session insert
-- reads it FOR SHARE in its own transaction and refuses a different one (or a missing row).
-- The values come from a sequence, so a user deleted and created again under the same name
-- never gets a generation a login in progress may still hold.
CREATE SEQUENCE user_session_generation;
ALTER TABLE users
  ADD COLUMN session_generation bigint NOT NULL DEFAULT nextval('user_session_generation');
