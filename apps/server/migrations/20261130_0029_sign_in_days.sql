-- The days (in RESET_TIMEZONE) on which a player signed in: by signup, password login or renewing
-- the session with a refresh token. The `logins` metric of events and missions counts these days,
-- once each. It counted password logins only: the web app keeps its refresh token for 30 days, so
-- a player coming back every day never logged in again and a "log in today" mission stayed at 0,
-- while three logins in one day made a "log in on 3 days" mission complete.
CREATE TABLE sign_in_days (
  user_id uuid NOT NULL REFERENCES users (id),
  day date NOT NULL,
  PRIMARY KEY (user_id, day)
);
