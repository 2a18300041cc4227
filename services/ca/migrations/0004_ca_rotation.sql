-- CA rotation (issue 11; services/ca/ca_rotator.h, postgres_ca_key_store.h): the phase of
-- each CA kind, shared by every replica. A kind without a row is in 'standby' (no rotation
-- under way). A phase change locks its row (SELECT ... FOR UPDATE), checks the phase it
-- expects, moves the keys' ca_keys.state and writes its ca.rotate audit event in the same
-- transaction. old_key_id/new_key_id name the keys of the rotation under way (or the last).
CREATE TABLE ca_rotations (
  kind text COLLATE "C" PRIMARY KEY CHECK (kind <> ''),
  phase text NOT NULL
    CHECK (phase IN ('standby', 'init', 'update_clients', 'update_servers', 'rollback')),
  old_key_id text NOT NULL DEFAULT '',
  new_key_id text NOT NULL DEFAULT '',
  update_time timestamptz NOT NULL
);
