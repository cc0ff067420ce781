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
-- SET search_path / set_config('search_path', …) are refused by design
-- (the setting is pinned so that grants resolve names as the server does).
pg: SHOW server_version
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
-- Statements as SQLAlchemy, Django, Hibernate, ActiveRecord and GORM emit them.
pg: SELECT users.id AS users_id, users.name AS users_name FROM users WHERE users.name ILIKE '%ann%' ORDER BY users.id LIMIT 10 OFFSET 20
pg: SELECT "auth_user"."id", "auth_user"."username" FROM "auth_user" WHERE UPPER("auth_user"."email"::text) = UPPER('ann@example.com') LIMIT 21
pg: SELECT "shop_order"."id", ROW_NUMBER() OVER (PARTITION BY "shop_order"."user_id" ORDER BY "shop_order"."created" DESC) AS "rn" FROM "shop_order"
pg: WITH recent AS (SELECT id, user_id FROM orders WHERE created_at > now() - interval '7 days') SELECT u.id, count(r.id) FROM users u JOIN recent r ON r.user_id = u.id GROUP BY u.id
pg: SELECT id, data->>'name' AS name, data#>>'{address,city}' AS city FROM profiles WHERE data @> '{"active": true}'
pg: SELECT o1_0.id, o1_0.total FROM orders o1_0 WHERE o1_0.status IN ('paid', 'shipped') ORDER BY o1_0.id OFFSET 40 ROWS FETCH FIRST 20 ROWS ONLY
pg: SELECT first_name || ' ' || last_name AS full_name, substring(phone from 1 for 3) AS area FROM customers WHERE id = 5
pg: SELECT COALESCE(SUM(total), 0) AS revenue, CASE WHEN count(*) > 10 THEN 'busy' ELSE 'quiet' END AS load FROM orders WHERE user_id = 9
pg: SELECT id, name FROM customers UNION ALL SELECT id, name FROM suppliers ORDER BY name LIMIT 50
pg: SELECT "users".* FROM "users" WHERE "users"."id" = $1 LIMIT $2
pg: SELECT * FROM "orders" WHERE "orders"."deleted_at" IS NULL AND (status = 'paid') ORDER BY "orders"."id" LIMIT 10 OFFSET 10
pg: SELECT u.id, (SELECT count(*) FROM orders o WHERE o.user_id = u.id) AS order_count FROM users u WHERE (SELECT count(*) FROM orders o WHERE o.user_id = u.id) > 3
pg: SELECT id, lag(total) OVER w AS prev, lead(total) OVER w AS next FROM orders WINDOW w AS (ORDER BY created_at)
pg: SELECT id FROM documents WHERE owner = current_user AND title ILIKE 'report%'
my: SELECT `users`.`id`, `users`.`name` FROM `users` WHERE `users`.`name` LIKE '%ann%' ORDER BY `users`.`id` LIMIT 20 OFFSET 40
my: SELECT `orders`.* FROM `orders` WHERE `orders`.`user_id` = 7 AND `orders`.`deleted_at` IS NULL ORDER BY `orders`.`id` DESC LIMIT 1
my: SELECT id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY created DESC) AS rn FROM orders
my: WITH recent AS (SELECT id, user_id FROM orders WHERE created_at > NOW() - INTERVAL 7 DAY) SELECT u.id, COUNT(r.id) FROM users u JOIN recent r ON r.user_id = u.id GROUP BY u.id
my: SELECT id, JSON_UNQUOTE(JSON_EXTRACT(data, '$.name')) AS name, data->>'$.address.city' AS city FROM profiles WHERE JSON_CONTAINS(data, 'true', '$.active')
my: SELECT CONCAT(first_name, ' ', last_name) AS full_name, SUBSTRING(phone, 1, 3) AS area, LEFT(zip, 2) AS region FROM customers WHERE id = 5
my: SELECT COALESCE(SUM(total), 0) AS revenue, CASE WHEN COUNT(*) > 10 THEN 'busy' ELSE 'quiet' END AS load_level FROM orders WHERE user_id = 9
my: SELECT id, name FROM customers UNION ALL SELECT id, name FROM suppliers ORDER BY name LIMIT 50
my: SELECT u.id, (SELECT COUNT(*) FROM orders o WHERE o.user_id = u.id) AS order_count FROM users u HAVING order_count > 3
my: SELECT id FROM users WHERE LENGTH(name) > 3 AND UPPER(LEFT(name, 1)) = 'A' LIMIT 10, 20
