-- Version 3: version 2 of the policy schema is the shared audit outbox (audit_outbox_version = 2).
-- Access review rules (issue 15; PostgresReviewRuleStore). `rule` is the AccessReviewRule
-- as proto3 JSON without the server-managed metadata, which lives in the columns beside it.
CREATE TABLE review_rules (
  name text COLLATE "C" PRIMARY KEY CHECK (name <> ''),
  rule jsonb NOT NULL,
  revision bigint NOT NULL CHECK (revision >= 1),
  update_time timestamptz NOT NULL,
  updated_by text NOT NULL
);

-- One row: bumped by every change of review_rules (the store does it in the same
-- transaction), so that replicas rebuild their compiled rule set only when it moved.
CREATE TABLE review_rule_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  generation bigint NOT NULL CHECK (generation >= 0)
);
INSERT INTO review_rule_state (id, generation) VALUES (true, 0);
