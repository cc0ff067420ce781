package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/sqlerr"
)

func translateOne(t *testing.T, q string) Statement {
	t.Helper()
	stmts, ok, err := translatePG(q)
	if !ok || err != nil || len(stmts) != 1 {
		t.Fatalf("%s: ok %v err %v stmts %d", q, ok, err, len(stmts))
	}
	return stmts[0]
}

// PostgreSQL text in, SQLite text out.
func TestTranslatePG(t *testing.T) {
	for _, c := range []struct{ pg, want string }{
		{"select 1", "SELECT 1 AS `?column?`"},
		{"select a, t.b as x from t", "SELECT `a`, `t`.`b` AS `x` FROM `t`"},
		{"select true, false, null", "SELECT 1 AS `?column?`, 0 AS `?column?`, NULL AS `?column?`"},
		{"select 'it''s', E'a\\nb\\'c'", "SELECT 'it''s' AS `?column?`, 'a\nb''c' AS `?column?`"},
		{"select b'101', x'1f'", "SELECT '101' AS `?column?`, '00011111' AS `?column?`"},
		{"select * from t where id = $1 and name = $2", "SELECT * FROM `t` WHERE ((`id` = ?1) AND (`name` = ?2))"},
		{"select * from public.t", "SELECT * FROM `t`"},
		{"select count(*), count(distinct a) from t", "SELECT count(*) AS `count`, count(DISTINCT `a`) AS `count` FROM `t`"},
		{"select a from t order by a, b desc, c nulls first", "SELECT `a` FROM `t` ORDER BY `a` NULLS LAST, `b` DESC NULLS FIRST, `c` NULLS FIRST"},
		{"select a from t limit 5 offset 2", "SELECT `a` FROM `t` LIMIT 5 OFFSET 2"},
		{"select a from t offset 2", "SELECT `a` FROM `t` LIMIT -1 OFFSET 2"},
		{"select a from t limit all", "SELECT `a` FROM `t`"},
		{"select a from t fetch first 3 rows only", "SELECT `a` FROM `t` LIMIT 3"},
		{"select a from t for update", "SELECT `a` FROM `t`"},
		{"select distinct a from t", "SELECT DISTINCT `a` FROM `t`"},
		{"select distinct on (a) a, b as x from t order by 1, x desc limit 2", "SELECT floe_c1 AS `a`, floe_c2 AS `x` FROM (SELECT `a` AS floe_c1, `b` AS floe_c2, row_number() OVER (PARTITION BY `a` ORDER BY `a` NULLS LAST, `b` DESC NULLS FIRST) AS floe_rn, `a` AS floe_s1, `b` AS floe_s2 FROM `t`) WHERE floe_rn = 1 ORDER BY `floe_s1` NULLS LAST, `floe_s2` DESC NULLS FIRST LIMIT 2"},
		{"select * from a full join b on a.id = b.id right join c using (id)", "SELECT * FROM `a` FULL JOIN `b` ON (`a`.`id` = `b`.`id`) RIGHT JOIN `c` USING (`id`)"},
		{"select * from a natural join b, c", "SELECT * FROM `a` NATURAL JOIN `b`, `c`"},
		{"select * from a cross join b", "SELECT * FROM `a` CROSS JOIN `b`"},
		{"select * from (select 1 as x) s", "SELECT * FROM (SELECT 1 AS `x`) AS `s`"},
		{"select * from (values (1, 'a')) v(id, name)", "SELECT * FROM (SELECT `column1` AS `id`, `column2` AS `name` FROM (VALUES (1, 'a'))) AS `v`"},
		{"values (1, 2), (3, 4)", "VALUES (1, 2), (3, 4)"},
		{"select 1 union all select 2 intersect select 3", "SELECT 1 AS `?column?` UNION ALL SELECT * FROM (SELECT 2 AS `?column?` INTERSECT SELECT 3 AS `?column?`)"},
		{"(select a from t limit 1) except select b from u", "SELECT * FROM (SELECT `a` FROM `t` LIMIT 1) EXCEPT SELECT `b` FROM `u`"},
		{"with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select n from r", "WITH RECURSIVE `r`(`n`) AS (SELECT 1 AS `?column?` UNION ALL SELECT (`n` + 1) AS `?column?` FROM `r` WHERE (`n` < 3)) SELECT `n` FROM `r`"},
		{"select a, sum(b) over (partition by a order by b rows between 1 preceding and current row) from t", "SELECT `a`, floe_numeric_sum(`b`) OVER (PARTITION BY `a` ORDER BY `b` NULLS LAST ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS `sum` FROM `t`"},
		{"select rank() over w from t window w as (order by a desc)", "SELECT rank() OVER `w` AS `rank` FROM `t` WINDOW `w` AS (ORDER BY `a` DESC NULLS FIRST)"},
		{"select case when a then 1 else 2 end, coalesce(a, b), nullif(a, 0) from t", "SELECT CASE WHEN `a` THEN 1 ELSE 2 END AS `case`, coalesce(`a`, `b`) AS `coalesce`, nullif(`a`, 0) AS `nullif` FROM `t`"},
		{"select a in (1, 2), a not in (select b from u), exists (select 1) from t", "SELECT (`a` IN (1, 2)) AS `?column?`, (NOT (`a` IN (SELECT `b` FROM `u`))) AS `?column?`, EXISTS (SELECT 1 AS `?column?`) AS `exists` FROM `t`"},
		{"select a between 1 and 2, a is not distinct from b, a is null, a is not true from t", "SELECT (`a` BETWEEN 1 AND 2) AS `?column?`, (`a` IS `b`) AS `?column?`, (`a` IS NULL) AS `?column?`, (`a` IS NOT TRUE) AS `?column?` FROM `t`"},
		{"select (a, b) = (1, 2) from t", "SELECT ((`a`, `b`) = (1, 2)) AS `?column?` FROM `t`"},
		{"select a like 'x%', a not like 'y\\_%' escape '\\', a ilike $1 from t", "SELECT floe_like(`a`, 'x%', '\\') AS `?column?`, (NOT floe_like(`a`, 'y\\_%', '\\')) AS `?column?`, (`a` LIKE ?1 ESCAPE '\\') AS `?column?` FROM `t`"},
		{"select a ~ '^x', a !~* 'y', a similar to '(ab|c)%' from t", "SELECT floe_regexp('^x', `a`, '') AS `?column?`, (NOT floe_regexp('y', `a`, 'i')) AS `?column?`, floe_regexp('^(?:(ab|c).*)$', `a`, '') AS `?column?` FROM `t`"},
		{"select a operator(pg_catalog.~) 'x' from t", "SELECT floe_regexp('x', `a`, '') AS `?column?` FROM `t`"},
		{"select string_agg(a, ',' order by a), bool_and(b), bool_or(b), count(*) filter (where b) from t", "SELECT group_concat(`a`, ',' ORDER BY `a` NULLS LAST) AS `string_agg`, min((`b`) <> 0) AS `bool_and`, max((`b`) <> 0) AS `bool_or`, count(*) FILTER (WHERE `b`) AS `count` FROM `t`"},
		{"select a || b, -a, 2 ^ 3 from t", "SELECT (`a` || `b`) AS `?column?`, (-`a`) AS `?column?`, power(2, 3) AS `?column?` FROM `t`"},
		{"select $1::int, '42'::bigint, a::float8, a::numeric(10,2), a::text, a::varchar(3)", "SELECT CASE WHEN typeof((?1)) = 'real' THEN CAST(round((?1)) AS INTEGER) ELSE CAST((?1) AS INTEGER) END AS `int4`, 42 AS `int8`, CAST(`a` AS REAL) AS `a`, CAST(`a` AS NUMERIC) AS `a`, CAST(`a` AS TEXT) AS `a`, CAST(`a` AS TEXT) AS `a`"},
		{"select 'yes'::boolean, 'off'::bool", "SELECT 1 AS `bool`, 0 AS `bool`"},
		{"select '2024-01-02'::date, '2024-01-02 03:04:05+02'::timestamptz, a::date, a::timestamp", "SELECT '2024-01-02' AS `date`, '2024-01-02 01:04:05' AS `timestamptz`, date(`a`) AS `a`, datetime(`a`) AS `a`"},
		{"select now() - interval '1 day', a + '2 hours'::interval", "SELECT floe_ts_sub(now(), floe_interval('1 day')) AS `?column?`, floe_ts_add(`a`, floe_interval('2 hours')) AS `?column?`"},
		{"select '{\"a\":1}'::jsonb -> 'a', j ->> 'b' from t", "SELECT (json('{\"a\":1}') -> 'a') AS `?column?`, (`j` ->> 'b') AS `?column?` FROM `t`"},
		{"select 't'::regclass, oid::regtype from t", "SELECT floe_regclass('t') AS `regclass`, floe_regtype(`oid`) AS `oid`"[:0] + "SELECT floe_regclass('t') AS `regclass`, floe_regtype(`oid`) AS `oid` FROM `t`"},
		{"select extract(year from a), pg_catalog.format_type(1, 2) from t", "SELECT extract('year', `a`) AS `extract`, format_type(1, 2) AS `format_type` FROM `t`"},
		{"select current_timestamp, current_date, current_schema, current_user", "SELECT now() AS `current_timestamp`, date('now') AS `current_date`, 'public' AS `current_schema`, (SELECT user_name FROM temp.floe_session) AS `current_user`"},
		{"select current_database(), version()", "SELECT (SELECT database_name FROM temp.floe_session) AS `current_database`, ('PostgreSQL 15.0 (Floe SQLite ' || sqlite_version() || ') on SQLite, compiled by Go') AS `version`"},
		{"select a from t where b = 'x' collate pg_catalog.default", "SELECT `a` FROM `t` WHERE (`b` = 'x')"},
		{"select generate_series(1, 3)", "SELECT `floe_srf1`.`v` AS `generate_series` FROM (SELECT `generate_series` AS `v` FROM generate_series(1, 3)) AS `floe_srf1`"},
		{"select g.x from generate_series(1, 9, 2) as g(x)", "SELECT `g`.`x` FROM (SELECT `generate_series` AS `x` FROM generate_series(1, 9, 2)) AS `g`"},
		{"select * from unnest(array[1, 2]) u", "SELECT * FROM (SELECT `value` AS `u` FROM json_each(json_array(1, 2))) AS `u`"},
		{"select a = any(array[1, 2]), array_to_string(array['a', 'b'], '-'), array_length(array[1], 1)", "SELECT (`a` IN (1, 2)) AS `?column?`, (SELECT group_concat(value, '-') FROM json_each(json_array('a', 'b'))) AS `array_to_string`, json_array_length(json_array(1)) AS `array_length`"},
		{"select a from t where a = any(b) and a <> all($1) and a < any(array[1, 2]) and a >= all(b)", "SELECT `a` FROM `t` WHERE ((`a` IN (SELECT value FROM json_each(`b`))) AND (`a` NOT IN (SELECT value FROM json_each(floe_array(?1, 'text')))) AND EXISTS (SELECT 1 FROM (SELECT value AS floe_elem FROM json_each(json_array(1, 2))) WHERE (`a` < floe_elem)) AND (NOT EXISTS (SELECT 1 FROM (SELECT value AS floe_elem FROM json_each(`b`)) WHERE NOT (`a` >= floe_elem))))"},
		{"select json_array(1, 'a'), json_object('k': a) from t", "SELECT json_array(1, 'a') AS `json_array`, json_object('k', `a`) AS `json_object` FROM `t`"},
		{"select array(select a from t)", "SELECT (SELECT json_group_array(`a`) FROM (SELECT `a` FROM `t`)) AS `array`"},
		{"select position('b' in 'abc'), substring('abc' from 2 for 1), trim(both 'x' from 'xax')", "SELECT instr('abc', 'b') AS `position`, substr('abc', 2, 1) AS `substring`, trim('xax', 'x') AS `btrim`"},
		{"insert into t (a, b) values ($1, $2), (3, default)", ""},
		{"insert into t (a, b) values ($1, $2), (3, 4) returning id", "INSERT INTO `t` (`a`, `b`) VALUES (?1, ?2), (3, 4) RETURNING `id`"},
		{"insert into t default values", "INSERT INTO `t` DEFAULT VALUES"},
		{"insert into t select * from u", "INSERT INTO `t` SELECT * FROM `u`"},
		{"insert into t (id, n) values (1, 2) on conflict (id) do update set n = excluded.n + t.n where t.n < 10", "INSERT INTO `t` (`id`, `n`) VALUES (1, 2) ON CONFLICT (`id`) DO UPDATE SET `n` = (`excluded`.`n` + `t`.`n`) WHERE (`t`.`n` < 10)"},
		{"insert into t select a from u on conflict do nothing", "INSERT INTO `t` SELECT `a` FROM `u` WHERE true ON CONFLICT DO NOTHING"},
		{"update t set a = $1, b = b + 1 from u where t.id = u.id returning t.a, b as bee", "UPDATE `t` SET `a` = ?1, `b` = (`b` + 1) FROM `u` WHERE (`t`.`id` = `u`.`id`) RETURNING `a`, `b` AS `bee`"},
		{"update t set (a, b) = (1, 2), c = 3", "UPDATE `t` SET (`a`, `b`) = (1, 2), `c` = 3"},
		{"update t set (a, b) = (select x, y from u)", "UPDATE `t` SET (`a`, `b`) = (SELECT `x`, `y` FROM `u`)"},
		{"delete from t using u where t.id = u.id", "DELETE FROM `t` WHERE EXISTS (SELECT 1 FROM `u` WHERE (`t`.`id` = `u`.`id`))"},
		{"delete from t where id = 1 returning *", "DELETE FROM `t` WHERE (`id` = 1) RETURNING *"},
		{"create table t (id serial primary key, n varchar(20) not null unique, p numeric(10,2) default 0 check (p >= 0), at timestamptz default now(), d date default current_date, ok boolean, j jsonb, b bytea, u uuid, f double precision)",
			"CREATE TABLE `t` (`id` INTEGER PRIMARY KEY, `n` VARCHAR(20) NOT NULL UNIQUE, `p` NUMERIC(10,2) DEFAULT (0) CHECK ((`p` >= 0)), `at` TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP, `d` DATE DEFAULT CURRENT_DATE, `ok` BOOLEAN, `j` JSON, `b` BLOB, `u` TEXT, `f` DOUBLE PRECISION)"},
		{"create table if not exists c (id bigserial, p int references t (id) on delete cascade, primary key (id))", "CREATE TABLE IF NOT EXISTS `c` (`id` INTEGER PRIMARY KEY, `p` INTEGER REFERENCES `t` (`id`) ON DELETE CASCADE)"},
		{"create table c (a int, b int, constraint pk primary key (a, b), foreign key (b) references t (id))", "CREATE TABLE `c` (`a` INTEGER, `b` INTEGER, CONSTRAINT `pk` PRIMARY KEY (`a`, `b`), FOREIGN KEY (`b`) REFERENCES `t` (`id`))"},
		{"create unique index if not exists ix on t using btree (a, lower(b) desc) where a > 0", "CREATE UNIQUE INDEX IF NOT EXISTS `ix` ON `t` (`a`, (lower(`b`)) DESC) WHERE (`a` > 0)"},
		{"create index on t (a)", "CREATE INDEX `t_a_idx` ON `t` (`a`)"},
		{"drop table if exists t cascade", "DROP TABLE IF EXISTS `t`"},
		{"drop index ix", "DROP INDEX `ix`"},
		{"drop view v", "DROP VIEW `v`"},
		{"alter table t add column c text not null default ''", "ALTER TABLE `t` ADD COLUMN `c` TEXT NOT NULL DEFAULT ('')"},
		{"alter table t drop column c", "ALTER TABLE `t` DROP COLUMN `c`"},
		{"alter table t rename column a to b", "ALTER TABLE `t` RENAME COLUMN `a` TO `b`"},
		{"alter table t rename to u", "ALTER TABLE `t` RENAME TO `u`"},
		{"create view v (x) as select a from t", "CREATE VIEW `v` (`x`) AS SELECT `a` FROM `t`"},
		{"truncate table t", "DELETE FROM `t`"},
		{"begin isolation level serializable", "BEGIN"},
		{"start transaction", "BEGIN"},
		{"savepoint s1", "SAVEPOINT `s1`"},
		{"rollback to savepoint s1", "ROLLBACK TO `s1`"},
		{"release s1", "RELEASE `s1`"},
		{"commit", "COMMIT"},
		{"abort", "ROLLBACK"},
		{"set timezone = 'UTC'", "set timezone = 'UTC'"},
	} {
		stmts, ok, err := translatePG(c.pg)
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: no error", c.pg)
			}
			continue
		}
		if !ok || err != nil || len(stmts) != 1 {
			t.Errorf("%s: ok %v err %v", c.pg, ok, err)
			continue
		}
		if stmts[0].SQL != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.pg, stmts[0].SQL, c.want)
		}
	}
}

// The statement's description comes from the tree.
func TestTranslatePGDescription(t *testing.T) {
	for _, c := range []struct {
		pg     string
		verb   string
		rows   bool
		tx     byte
		n      int
		params []string
		types  []Type
	}{
		{pg: "select true, 1 = 1, a is null, count(*), now(), '1'::int, 1.5, 'x', json_build_object('a', 1), current_date from t", verb: "SELECT", rows: true,
			types: []Type{TypeBool, TypeBool, TypeBool, TypeInt, TypeTimestamp, TypeInt4, TypeNumeric, TypeUnknown, TypeJSON, TypeDate}},
		{pg: "select 1, 1 + 2, 3000000000, '1'::int8, '1'::smallint, length('x'), 1 + 3000000000, 2 * '3'::int2", verb: "SELECT", rows: true,
			types: []Type{TypeInt4, TypeInt4, TypeInt, TypeInt, TypeInt2, TypeInt4, TypeInt, TypeInt4}},
		{pg: "select *, true from t", verb: "SELECT", rows: true, types: []Type{}},
		{pg: "insert into t (a, b, c) values ($3, lower($1), $2)", verb: "INSERT", n: 3, params: []string{"", "c", "a"}},
		{pg: "update t set stock = $1 where name = $2 and $3 < price", verb: "UPDATE", n: 3, params: []string{"stock", "name", "price"}},
		{pg: "delete from t where id in ($1, $2) returning id, true", verb: "DELETE", rows: true, n: 2, params: []string{"id", "id"}, types: []Type{TypeUnknown, TypeBool}},
		{pg: "begin", verb: "BEGIN", tx: 'B'},
		{pg: "start transaction read write", verb: "START TRANSACTION", tx: 'B'},
		{pg: "end", verb: "COMMIT", tx: 'E'},
		{pg: "rollback", verb: "ROLLBACK", tx: 'E'},
		{pg: "rollback to s", verb: "ROLLBACK"},
		{pg: "create temp table x (a int)", verb: "CREATE TABLE"},
		{pg: "truncate t", verb: "TRUNCATE TABLE"},
		{pg: "show search_path", verb: "SHOW"},
		{pg: "reset all", verb: "RESET"},
	} {
		st := translateOne(t, c.pg)
		if st.Verb != c.verb || st.Rows != c.rows || st.Tx != c.tx || st.NParams != c.n {
			t.Errorf("%s: verb %q rows %v tx %q n %d", c.pg, st.Verb, st.Rows, st.Tx, st.NParams)
		}
		if c.params != nil && !slices.Equal(st.ParamCols, c.params) {
			t.Errorf("%s: param columns %q, want %q", c.pg, st.ParamCols, c.params)
		}
		if c.types != nil && !slices.Equal(st.ColTypes, c.types) {
			t.Errorf("%s: column types %v, want %v", c.pg, st.ColTypes, c.types)
		}
	}
}

// What cannot be translated is refused with feature_not_supported,
// naming the construct; nothing of the text runs.
func TestTranslatePGNotSupported(t *testing.T) {
	for q, what := range map[string]string{
		"select * from t, lateral (select 1) x":                           "LATERAL subqueries are not supported",
		"select a[1:2] from t":                                            "ARRAY slices are not supported",
		"create function f() returns int as 'select 1' language sql":      "CREATE FUNCTION is not supported",
		"create schema s":                                                 "CREATE SCHEMA is not supported",
		"create extension pgcrypto":                                       "CREATE EXTENSION is not supported",
		"select 1; select a from t group by rollup (a)":                   "GROUPING SETS, ROLLUP and CUBE are not supported",
		"select a from t order by a using <":                              "ORDER BY … USING is not supported",
		"select x::point from t":                                          "casts to type point are not supported",
		"select * from regexp_matches('a', 'a', 'g') m":                   "the set-returning function regexp_matches in FROM is not supported",
		"drop table a, b":                                                 "DROP of several objects in one statement is not supported",
		"select percentile_cont(0.5) within group (order by a) from t":    "WITHIN GROUP is not supported",
		"insert into t values (1) on conflict on constraint c do nothing": "ON CONFLICT ON CONSTRAINT is not supported",
	} {
		_, ok, err := translatePG(q)
		if !ok {
			t.Errorf("%s: did not parse", q)
			continue
		}
		if sqlerr.Code(err) != sqlerr.FeatureNotSupported || !strings.Contains(err.Error(), what) {
			t.Errorf("%s: %v, want 0A000 %q", q, err, what)
		}
	}
	if _, err := PGStatements(analysis.New(analysis.Postgres, 0).Of("select 1; select * from t, lateral (select 1) x")); sqlerr.Code(err) != sqlerr.FeatureNotSupported {
		t.Fatalf("a text with an untranslatable statement: %v", err)
	}
	// Literal casts are checked as PostgreSQL checks them.
	if _, _, err := translatePG("select 'maybe'::boolean"); sqlerr.Code(err) != sqlerr.InvalidTextRepresentation {
		t.Fatalf("invalid boolean literal: %v", err)
	}
}

// Texts the parser cannot read go on as before: split by the lexer,
// refused when SQLite would read them otherwise.
func TestPGStatementsUnparsed(t *testing.T) {
	z := analysis.New(analysis.Postgres, 0)
	stmts, err := PGStatements(z.Of("PRAGMA table_info(t)"))
	if err != nil || len(stmts) != 1 || stmts[0].SQL != "PRAGMA table_info(t)" || !stmts[0].Rows {
		t.Fatalf("pragma: %+v %v", stmts, err)
	}
	if _, err := PGStatements(z.Of("select E'\\' /* x")); err == nil {
		t.Fatal("an unparsed E'' string with a backslash ran")
	}
	// Parsed, an E'' string is decoded and printed as SQLite reads it.
	stmts, err = PGStatements(z.Of(`select E'a\'b' as x`))
	if err != nil || stmts[0].SQL != "SELECT 'a''b' AS `x`" {
		t.Fatalf("E'' string: %+v %v", stmts, err)
	}
	// A parsed text's nested comment is gone from what SQLite runs.
	stmts, err = PGStatements(z.Of("select 1 /* a /* b */ ; drop table t; */ as x"))
	if err != nil || len(stmts) != 1 || stmts[0].SQL != "SELECT 1 AS `x`" {
		t.Fatalf("nested comment: %+v %v", stmts, err)
	}
}

// The translations run on SQLite with PostgreSQL's results.
func TestTranslatePGRuns(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, "tdb", filepath.Join(t.TempDir(), "t.db"), slog.New(slog.NewTextHandler(io.Discard, nil)), observe.NewMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	conn, err := e.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := setSessionValues(ctx, conn, "alice", "tdb"); err != nil {
		t.Fatal(err)
	}
	run := func(q string, args ...any) {
		t.Helper()
		stmts, ok, err := translatePG(q)
		if !ok || err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for _, st := range stmts {
			if _, err := conn.ExecContext(ctx, st.SQL, args...); err != nil {
				t.Fatalf("%s (%s): %v", q, st.SQL, err)
			}
		}
	}
	query := func(q string, args ...any) string {
		t.Helper()
		st := translateOne(t, q)
		rows, err := conn.QueryContext(ctx, st.SQL, args...)
		if err != nil {
			t.Fatalf("%s (%s): %v", q, st.SQL, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var row []string
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row = append(row, fmt.Sprint(v))
			}
			out = append(out, strings.Join(row, ","))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return strings.Join(out, ";")
	}
	run("create table p (id serial primary key, name varchar(20) not null unique, price numeric(10,2) check (price >= 0), active boolean default true, at timestamp default now())")
	run("create table o (id bigserial primary key, p_id int references p (id) on delete cascade, qty int not null)")
	run("insert into p (name, price) values ('Apple', 1.5), ('apple', 2), ('Banana', null), ('cherry', 3)")
	run("insert into o (p_id, qty) values (1, 2), (1, 3), (2, 1), (4, 7)")
	for _, c := range []struct{ q, want string }{
		{"select id from p where name like 'a%' order by id", "2"},
		{"select id from p where name ilike 'a%' order by id", "1;2"},
		{"select id from p where name not like '%a%' order by id", "1;4"},
		{"select id from p where name like $1 order by id", "1"},
		{"select name from p order by price desc", "Banana;cherry;apple;Apple"},
		{"select name from p order by price nulls first limit 2", "Banana;Apple"},
		{"select id from p order by id offset 3", "4"},
		{"select id from p order by id limit all offset 2", "3;4"},
		{"select id from p order by id fetch first 1 row only", "1"},
		{"select p.name, sum(o.qty) from p join o on o.p_id = p.id group by p.name having sum(o.qty) > 1 order by 1", "Apple,5;cherry,7"},
		{"select p.id, o.id from p left join o on o.p_id = p.id where o.id is null", "3,<nil>"},
		{"select count(*) from p full join o on o.p_id = p.id", "5"},
		{"select string_agg(name, '|' order by name desc) from p where price is not null", "cherry|apple|Apple"},
		{"select bool_and(price > 1), bool_or(price > 2), count(*) filter (where price > 1) from p", "1,1,3"},
		{"select id, row_number() over (order by price desc nulls last) from p order by id", "1,3;2,2;3,4;4,1"},
		{"select a from (values (1), (2)) v(a) union all select 3 order by a desc", "3;2;1"},
		{"with recursive r(n) as (select 1 union all select n + 1 from r where n < 4) select sum(n) from r", "10"},
		{"select name from p where id = any(array[1, 3]) order by id", "Apple;Banana"},
		{"select name from p where exists (select 1 from o where o.p_id = p.id and o.qty > 5)", "cherry"},
		{"select distinct on (o.p_id) o.p_id, o.qty from o order by o.p_id, o.qty desc", "1,3;2,1;4,7"},
		{"select id from p where id = any(json_array(2, 3)) and id > all(array[1, 2]) order by id", "3"},
		{"select name from p where price is distinct from 2 and id between 1 and 3 order by id", "Apple;Banana"},
		{"select coalesce(price, -1), nullif(id, 1) from p where id in (1, 3) order by id", "1.5,<nil>;-1,3"},
		{"select 'yes'::boolean, '0'::boolean, 'on'::text::boolean, 2::boolean", "1,0,1,1"},
		{"select '42'::int + 1, 7 / 2, 3.7::int, -2.5::int, (price * 3)::int, '9007199254740993'::bigint, 9007199254740993::bigint, '2024-05-06 07:08:09'::timestamp, '2024-05-06'::date from p where id = 1", "43,3,4,-3,5,9007199254740993,9007199254740993,2024-05-06 07:08:09,2024-05-06"},
		{"select sum(price)::int, count(*)::boolean, (price > 1)::int from p where id < 3 group by price > 1 order by 1", "4,1,1"},
		{"select E'a\\tb', 'it''s', b'101'", "a\tb,it's,101"},
		{"select current_user, current_database(), current_schema", "alice,tdb,public"},
		{"select 'x' || 1 || null is null, 'a' || 'b'", "1,ab"},
		{"select case when price > 1.5 then 'hi' else 'lo' end from p where id < 3 order by id", "lo;hi"},
		{"select array_to_string(array['a', 'b'], '-'), array_length(array[1, 2, 3], 1), (array[5, 6])[2]", "a-b,3,6"},
		{"select array(select id from p where id < 3 order by id)", "[1,2]"},
		{"select position('c' in 'abc'), substring('hello' from 2 for 3), trim(both 'x' from 'xaxx')", "3,ell,a"},
		{"select 'abc' similar to 'a(b|x)c', 'abd' similar to 'a(b|x)c'", ""},
		{"select array_upper('{3,4,5}'::int[], 1), array_upper(array[]::int[], 1), array_upper(array[1], 2), array_lower(array['a'], 1)", "3,<nil>,<nil>,1"},
		{"select ('{7,8,9}'::pg_catalog.int2[])[2], ('{\"a b\",NULL}'::text[])[1], '{t,f}'::bool[]", "8,a b,[true,false]"},
		{"select (select string_agg((v.x[s] * 2)::text, ',') from pg_catalog.generate_series(1, pg_catalog.array_upper(v.x::pg_catalog.int2[], 1)) s) from (select '{10,20}'::int[] as x) v", "20,40"},
		{"select a.v, a.n from unnest(array['x', 'y']) with ordinality as a(v, n) order by a.n", "x,1;y,2"},
		{"select g, o from generate_series(5, 7) with ordinality g(g, o)", "5,1;6,2;7,3"},
		{"select t.u, t.o from upper('ab') with ordinality as t(u, o)", "AB,1"},
		{"select u from upper('ab') u", "AB"},
		{"select array_remove(array_remove('{a,b,a,c}'::text[], 'a'), 'x'), array_append(array[1, 2], 3), array_prepend('z', '{\"y\"}'::text[]), array_cat(array[1], '{2,3}'::int[]), array_position(array['p', 'q'], 'q'), array_position(array[1], 5), array_remove(null::int[], 1)", `["b","c"],[1,2,3],["z","y"],[1,2,3],2,<nil>,<nil>`},
		{"select e, n from json_array_elements_text('[\"p\",\"q\"]') with ordinality as x(e, n) order by n desc", "q,2;p,1"},
		{"select id from p where id = any('{2,4}'::int[]) order by id", "2;4"},
		{"select '1' = any('{1,2}'::text[]), 'd' = any(json_array('a', 'b'))", "1,0"},
		{"select id from p where id = any('{1,4}') and name <> all('{\"x y\",Apple}') order by id", "4"},
	} {
		if c.want == "" {
			continue // needs floe_regexp (the PostgreSQL functions)
		}
		var args []any
		if strings.Contains(c.q, "$1") {
			args = []any{"A%"}
		}
		if got := query(c.q, args...); got != c.want {
			t.Errorf("%s: got %q want %q", c.q, got, c.want)
		}
	}
	// Array parameters: PostgreSQL's array text or a JSON array.
	for _, c := range []struct {
		q, arg, want string
	}{
		{"select id from p where id = any($1) order by id", "{1,3}", "1;3"},
		{"select id from p where name = any($1) order by id", `{"Apple",cherry,NULL}`, "1;4"},
		{"select id from p where id <> all($1) order by id", "[1,2]", "3;4"},
		{"select id from p where id = any($1::int[]) order by id", "{ 2 , 4 }", "2;4"},
		{"select count(*) from unnest($1) u", "{}", "0"},
	} {
		if got := query(c.q, c.arg); got != c.want {
			t.Errorf("%s with %s: got %q want %q", c.q, c.arg, got, c.want)
		}
	}
	anySt := translateOne(t, "select 1 where 1 = any($1)")
	if _, err := conn.QueryContext(ctx, anySt.SQL, "{1,"); err == nil || !strings.Contains(err.Error(), "malformed array literal") {
		t.Errorf("malformed array parameter: %v", err)
	}
	// Upsert, UPDATE … FROM, DELETE … USING, RETURNING.
	if got := query("insert into p (name, price) values ('Apple', 9) on conflict (name) do update set price = excluded.price + p.price returning id, price"); got != "1,10.5" {
		t.Fatalf("upsert: %q", got)
	}
	run("insert into p (name) values ('Apple') on conflict do nothing")
	if got := query("update o set qty = o.qty * 10 from p where o.p_id = p.id and p.name = 'cherry' returning o.qty"); got != "70" {
		t.Fatalf("update from: %q", got)
	}
	run("delete from o using p where o.p_id = p.id and p.name = 'Apple'")
	if got := query("select p_id, qty from o order by id"); got != "2,1;4,70" {
		t.Fatalf("delete using: %q", got)
	}
	run("alter table p add column note text default 'n'")
	run("alter table p rename column note to remark")
	run("create index on p (price)")
	run("create view cheap as select name from p where price <= 2")
	if got := query("select name, (select remark from p where id = 1) from cheap"); got != "apple,n" {
		t.Fatalf("view: %q", got)
	}
	run("truncate o")
	if got := query("select count(*) from o"); got != "0" {
		t.Fatalf("truncate: %q", got)
	}
	run("drop view if exists cheap cascade")
	// A double-quoted name that names no column is an error, not a string.
	st := translateOne(t, `select "nope" from p`)
	if _, err := conn.QueryContext(ctx, st.SQL); err == nil || !strings.Contains(err.Error(), "no such column") {
		t.Fatalf("unknown column: %v", err)
	}
	var declared string
	if err := conn.QueryRowContext(ctx, "SELECT type FROM pragma_table_info('p') WHERE name = 'price'").Scan(&declared); err != nil || declared != "NUMERIC(10,2)" {
		t.Fatalf("declared type %q %v", declared, err)
	}
	var sqlText sql.NullString
	_ = conn.QueryRowContext(ctx, "SELECT sql FROM sqlite_schema WHERE name = 'p'").Scan(&sqlText)
	if !strings.Contains(sqlText.String, "`id` INTEGER PRIMARY KEY") {
		t.Fatalf("serial primary key: %s", sqlText.String)
	}
}

func TestLikeMatch(t *testing.T) {
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"abc", "a%", true}, {"Abc", "a%", false}, {"abc", "_b_", true}, {"ab", "_b_", false},
		{"a%c", `a\%c`, true}, {"abc", `a\%c`, false}, {"", "%", true}, {"héllo", "h_llo", true},
		{"a_b", `a\_b`, true}, {"axb", `a\_b`, false}, {"abcabc", "%bc%bc", true},
		{"abcab", "%ab", true}, {"aab", "%ab", true}, {"ab", "a%%b", true}, {"ba", "a%", false},
		{"a%", `%\%`, true}, {"ab", `%\%`, false},
		// Many wildcards against a long subject: at most len(s)·len(p)
		// steps (a backtracking matcher would not finish).
		{strings.Repeat("a", 5000), strings.Repeat("%a", 12) + "%b", false},
		{strings.Repeat("a", 5000) + "b", strings.Repeat("%a", 12) + "%b", true},
	} {
		got, err := likeMatch([]rune(c.s), []rune(c.p), '\\')
		if err != nil || got != c.want {
			t.Errorf("%q LIKE %q: %v %v", c.s, c.p, got, err)
		}
	}
	if _, err := likeMatch([]rune("a"), []rune(`a\`), '\\'); err == nil {
		t.Error("a pattern ending in the escape matched")
	}
}

// The data API's texts: translated, one statement, no session statements.
func TestPGQuery(t *testing.T) {
	for q, want := range map[string]string{
		"select a from t where b like 'x%'": "SELECT `a` FROM `t` WHERE floe_like(`b`, 'x%', '\\')",
		"PRAGMA table_info(t)":              "PRAGMA table_info(t)",
		"insert into t values (1)":          "INSERT INTO `t` VALUES (1)",
	} {
		if got, err := PGQuery(q); err != nil || got != want {
			t.Errorf("%s: %q %v", q, got, err)
		}
	}
	for _, q := range []string{"begin", "prepare p as select 1", "set x = 1", "select 1; select 2", "select E'\\' /* x", "select * from t, lateral (select 1) x"} {
		if got, err := PGQuery(q); err == nil {
			t.Errorf("%s: ran as %q", q, got)
		}
	}
}

// Any text: translated, refused with a SQLSTATE, or left to the lexer.
func FuzzTranslatePG(f *testing.F) {
	for _, q := range []string{
		"select a, count(*) from t group by 1 order by 2 desc limit 3",
		"insert into t (a) values ($1) on conflict (a) do update set a = excluded.a returning *",
		"with x as (select 1) select * from x, generate_series(1, 2) g(n) where n = any(array[1])",
		"create table t (id serial primary key, p numeric(10,2) default 0)",
		"select a::regclass, b::boolean, c ~* 'x', d similar to 'y%' from t",
		"prepare p as select $1::int; execute p(1)",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		stmts, ok, err := translatePG(q)
		if !ok {
			return
		}
		if err != nil {
			if sqlerr.Code(err) == "" {
				t.Fatalf("%q: error without a SQLSTATE: %v", q, err)
			}
			return
		}
		for _, st := range stmts {
			if st.SQL == "" && !st.Empty {
				t.Fatalf("%q: empty statement %+v", q, st)
			}
		}
	})
}
