-- Break-glass requests still awaiting their after-the-fact review, and when that review is
-- due (ListRequests' break_glass_awaiting_review filter; the unreviewed and overdue gauges).
ALTER TABLE requests ADD COLUMN break_glass_awaiting boolean NOT NULL DEFAULT false;
ALTER TABLE requests ADD COLUMN post_review_due timestamptz;
CREATE INDEX requests_break_glass_awaiting ON requests (create_time DESC, id DESC)
  WHERE break_glass_awaiting;
