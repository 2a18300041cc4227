-- Login attempts are counted before the password is hashed (lockout.h): a reservation takes
-- the row lock, refuses while the name is locked and otherwise counts the attempt as a
-- failure; an attempt that ends without a verdict on the credentials (a store outage, ...)
-- is refunded. A series is one run of failures, from the first (or the first after a quiet
-- window) until a success clears it: a refund only ever takes back a failure of the series
-- its attempt was counted in, never one of a later series.
CREATE SEQUENCE login_failure_series;
ALTER TABLE login_failures
  ADD COLUMN series bigint NOT NULL DEFAULT nextval('login_failure_series');
