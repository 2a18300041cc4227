-- Automatic approvals taken per user, review rule and day (issue 15; PostgresAutoApprovalQuota):
-- the per-user daily limit of an access review rule. A conditional upsert takes one slot, so
-- concurrent creates never take more than the limit.
CREATE TABLE auto_approvals (
  user_name text COLLATE "C" NOT NULL,
  rule text COLLATE "C" NOT NULL,
  day date NOT NULL,
  taken integer NOT NULL CHECK (taken >= 1),
  PRIMARY KEY (user_name, rule, day)
);
