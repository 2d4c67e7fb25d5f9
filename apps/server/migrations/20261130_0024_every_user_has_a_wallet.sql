-- Operator accounts made by ADMIN_SITE_ID or the demo's first start were inserted without the two
-- wallet accounts signup opens, so any currency granted to them (a distribute, a claim, a game's
-- payout) failed the ledger's foreign key with a 500. The server now opens them with the user;
-- this gives the users made before that theirs, at zero, like a signup's before its bonus.
INSERT INTO accounts (owner, currency, kind, balance)
SELECT 'user:' || u.id::text, c.currency, 'player', 0
FROM users u CROSS JOIN (VALUES ('soft'), ('premium')) AS c (currency)
ON CONFLICT (owner, currency) DO NOTHING;
