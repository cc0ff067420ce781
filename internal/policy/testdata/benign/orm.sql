-- Benign statements as ORMs, query builders and people write them, one per
-- line, valid in both PostgreSQL and MySQL unless marked "pg:" or "my:".
SELECT id, name, email FROM users WHERE id = 42
SELECT id, name FROM users WHERE name = 'O''Brien'
SELECT id, name FROM users WHERE name = 'it''s -- not a comment'
SELECT id, name FROM users WHERE name = '/* not a comment */'
SELECT id, name FROM users WHERE bio = 'SELECT is my favourite keyword; DROP is not'
SELECT id FROM users WHERE note = 'a=a or b=b'
SELECT id FROM users WHERE email LIKE '%@example.com'
SELECT id FROM users WHERE email LIKE 'ann%' ESCAPE '!'
SELECT id FROM users WHERE 1=1 AND status = 'active' AND created_at > '2024-01-01'
SELECT id FROM users WHERE 1 = 1 ORDER BY id LIMIT 20
SELECT id FROM users WHERE id IN (1, 2, 3, 4, 5) ORDER BY id DESC
SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM bans) AND deleted_at IS NULL
SELECT u.id, count(o.id) AS orders FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id HAVING count(o.id) > 2
SELECT * FROM orders WHERE total BETWEEN 10 AND 100 AND status <> 'cancelled'
SELECT * FROM orders WHERE (status = 'paid' OR status = 'shipped') AND user_id = 7
SELECT * FROM orders WHERE status = 'paid' OR refunded = 1
SELECT * FROM products WHERE name = 'Tom''s "best" -- deal' AND price < 20
SELECT * FROM products WHERE description = 'union select is a phrase in this text'
SELECT * FROM products WHERE tags = 'or 1=1'
SELECT * FROM posts WHERE body = '1'' OR ''1''=''1 is the classic example' LIMIT 1
SELECT name FROM products ORDER BY price DESC, name ASC LIMIT 10 OFFSET 20
SELECT count(*) FROM users
SELECT max(id), min(id), avg(total) FROM orders
SELECT DISTINCT country FROM addresses WHERE country IS NOT NULL
SELECT id FROM users WHERE lower(email) = lower('Ann@Example.com')
SELECT coalesce(nickname, name) AS display FROM users WHERE id = 3
SELECT CASE WHEN total > 100 THEN 'big' ELSE 'small' END AS size FROM orders
SELECT id FROM sessions WHERE expires_at < CURRENT_TIMESTAMP
SELECT id, name FROM users /* controller='users',action='index' */
SELECT id FROM users WHERE id = 5 /*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/
SELECT id FROM users -- list every user
INSERT INTO users (name, email) VALUES ('Ann', 'ann@example.com')
INSERT INTO users (name, email) VALUES ('Bob ''The Builder''', 'bob@example.com'), ('Cy', 'cy@example.com')
INSERT INTO audit_notes (body) VALUES ('user typed: '' OR 1=1 --')
UPDATE users SET name = 'Ann B.', updated_at = CURRENT_TIMESTAMP WHERE id = 1
UPDATE orders SET status = 'shipped' WHERE id IN (10, 11) AND status = 'paid'
UPDATE counters SET n = n + 1 WHERE name = 'visits'
DELETE FROM sessions WHERE expires_at < '2024-01-01'
DELETE FROM cart_items WHERE cart_id = 9 AND product_id = 3
SELECT id FROM users WHERE EXISTS (SELECT 1 FROM orders WHERE orders.user_id = users.id)
SELECT id, (SELECT count(*) FROM orders o WHERE o.user_id = u.id) AS n FROM users u
SELECT a.id FROM a JOIN b ON a.id = b.a_id JOIN c ON c.id = b.c_id WHERE c.kind = 'x'
SELECT id FROM a UNION SELECT id FROM b
SELECT id FROM a UNION ALL SELECT id FROM b ORDER BY 1
WITH recent AS (SELECT * FROM orders WHERE created_at > '2024-06-01') SELECT user_id, count(*) FROM recent GROUP BY user_id
SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY created_at) AS rn FROM orders
BEGIN
COMMIT
ROLLBACK
SELECT 1
SELECT now()
pg: SELECT id FROM users WHERE email ILIKE '%@example.com'
pg: SELECT data->>'name' AS name FROM documents WHERE data @> '{"kind": "invoice"}'
pg: SELECT id FROM users WHERE id = ANY('{1,2,3}'::int[])
pg: INSERT INTO users (name) VALUES ('Ann') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id
pg: SELECT $1::text, $2::int
pg: SELECT id FROM users WHERE name = $1 AND status = $2
pg: UPDATE users SET name = $1 WHERE id = $2 RETURNING id, name
pg: SELECT E'line\nbreak', 'plain'
pg: SELECT $$dollar 'quoted' -- text$$
pg: SELECT id FROM users WHERE created_at > now() - interval '1 day'
pg: SELECT to_char(created_at, 'YYYY-MM-DD') FROM users
pg: SELECT id FROM users FOR UPDATE SKIP LOCKED
pg: SET application_name = 'billing'
pg: SET search_path TO app, public
pg: SHOW server_version
pg: SELECT set_config('search_path', 'app', false)
pg: SELECT pg_advisory_xact_lock(42)
my: SELECT id FROM users WHERE name = ? AND status = ?
my: INSERT INTO users (name, email) VALUES (?, ?) ON DUPLICATE KEY UPDATE email = VALUES(email)
my: SELECT `id`, `name` FROM `users` WHERE `id` = 7
my: SELECT id FROM users WHERE name = "double ""quoted"" name"
my: SELECT id FROM users WHERE name = 'it\'s escaped'
my: SELECT id FROM users LIMIT 10, 20
my: SELECT @@session.transaction_isolation
my: SELECT @@version_comment LIMIT 1
my: SET NAMES utf8mb4
my: SET autocommit = 0
my: SHOW TABLES
my: SHOW COLUMNS FROM users
my: SELECT DATE_FORMAT(created_at, '%Y-%m') AS month, COUNT(*) FROM orders GROUP BY month
my: REPLACE INTO settings (k, v) VALUES ('theme', 'dark')
my: SELECT id FROM users WHERE MATCH(bio) AGAINST('database gateway' IN NATURAL LANGUAGE MODE)
