-- Approver notifications (services/requests/notify/notification_queue.h): one row per
-- (event, sink), written in the same transaction as the request change that causes it, and
-- delivered by a worker in every replica (claim with FOR UPDATE SKIP LOCKED, lease, retry).
--   id: the idempotency key sent with every attempt (UUIDv7)
--   seq: insertion order; rows of one request and sink are sent in this order
--   body: the serialized jit.common.v1.AccessRequest as it was at the event (no secret:
--         sink URLs and keys stay in the service's configuration)
--   state: 1 pending, 2 sent, 3 failed (the sink refused it), 4 dead-lettered (attempts
--          exhausted), 5 cancelled (a reminder of a request decided before it was due)
--   due_time: when a pending row may be claimed next (first send, back-off, or lease end)
CREATE TABLE notifications (
  id uuid PRIMARY KEY,
  seq bigserial NOT NULL UNIQUE,
  request_id uuid NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  event text NOT NULL,
  sink text NOT NULL,
  urgent boolean NOT NULL,
  body bytea NOT NULL,
  state smallint NOT NULL CHECK (state BETWEEN 1 AND 5),
  create_time timestamptz NOT NULL,
  due_time timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  finish_time timestamptz
);
-- What the workers claim: pending rows by due time.
CREATE INDEX notifications_due ON notifications (due_time, seq) WHERE state = 1;
-- Order per request and sink: an earlier pending row holds back the later ones.
CREATE INDEX notifications_order ON notifications (request_id, sink, seq) WHERE state = 1;
-- Retention: finished rows by age.
CREATE INDEX notifications_finished ON notifications (finish_time) WHERE state <> 1;
