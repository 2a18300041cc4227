-- WatchRequests' change log (change_feed.h, docs: services/requests/README.md "Watching").
--
-- changes: one row per stored change of a request, written in the change's transaction:
-- the request as stored (`body`, without history) and its state before (`prev_state`, 0 for
-- a create). `revision` (from revision_seq) is not commit order: a transaction may take a
-- smaller revision and commit later. So a change gets its place in the feed, `position`,
-- only once every transaction that could still write a smaller one has ended: a sequencer
-- (any replica, one at a time under an advisory lock) numbers the changes whose transaction
-- id lies below the oldest running transaction (pg_snapshot_xmin), in (xid, revision)
-- order, after the largest position so far. Positions are therefore final when they become
-- visible, and a reader that has seen position P has seen every change before it.
CREATE TABLE changes (
  revision bigint PRIMARY KEY,
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  request_id uuid NOT NULL,
  prev_state smallint NOT NULL CHECK (prev_state BETWEEN 0 AND 6),
  time timestamptz NOT NULL DEFAULT now(),
  body bytea NOT NULL,
  position bigint UNIQUE
);
-- The sequencer's work: changes without a position yet (few at any time).
CREATE INDEX changes_unsequenced ON changes (xid, revision) WHERE position IS NULL;
-- A request's state as of a position (snapshots).
CREATE INDEX changes_by_request ON changes (request_id, position);
