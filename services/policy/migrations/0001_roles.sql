-- Roles of the policy service (PostgresRoleStore) and the store-wide generation that
-- replicas watch (PostgresRoleWatcher).
--
-- roles: one row per role. `role` is the Role message as proto3 JSON (field names as in
-- the proto) without the server-managed metadata, which lives in the columns beside it.
CREATE TABLE roles (
  name text COLLATE "C" PRIMARY KEY CHECK (name <> ''),
  role jsonb NOT NULL,
  revision bigint NOT NULL CHECK (revision >= 1),
  update_time timestamptz NOT NULL,
  updated_by text NOT NULL
);

-- One row: the generation, bumped once by every transaction that changes `roles` (last_txid
-- remembers which transaction bumped it last: INSERT ... ON CONFLICT DO UPDATE fires both
-- the INSERT and the UPDATE statement triggers). The row lock orders writers, so
-- generations follow commit order, and a REPEATABLE READ reader sees a role set together
-- with the generation it belongs to.
CREATE TABLE store_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  generation bigint NOT NULL CHECK (generation >= 0),
  last_txid bigint
);
INSERT INTO store_state (id, generation) VALUES (true, 0);

-- Every change (also one made by hand in psql) bumps the generation and tells the replicas
-- LISTENing on "jit_policy_roles" (delivered at commit; the payload is the generation).
CREATE FUNCTION roles_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
  g bigint;
BEGIN
  UPDATE store_state SET generation = generation + 1, last_txid = txid_current()
    WHERE last_txid IS DISTINCT FROM txid_current()
    RETURNING generation INTO g;
  IF FOUND THEN
    PERFORM pg_notify('jit_policy_roles', g::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER roles_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles
FOR EACH STATEMENT EXECUTE FUNCTION roles_changed();
