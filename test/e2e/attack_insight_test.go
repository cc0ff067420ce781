package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Attacks on the result cache, slow statements, advice and traces by
// users with a valid login and limited rights. Each test checks what the
// attacker really received against what the rights allow.

// identityCacheConfig is a database with a result cache whose two roles
// run as two backend logins (identities) and hold the same wide gateway
// grant with no masks: only the logins' own rights tell them apart.
func identityCacheConfig(kind, dsn, loginA, loginB string) string {
	return fmt.Sprintf(`databases:
  - name: app
    kind: %s
    primary: %s
    pool: {mode: transaction, size: 2}
    cache: {enabled: true, ttl: 1m, max_staleness: 1m}
    identities:
      - {role: ra, user: %s, password: pw-%s}
      - {role: rb, user: %s, password: pw-%s}
users:
  - {name: alice, password: alice-secret, roles: [ra]}
  - {name: mallory, password: mallory-secret, roles: [rb]}
roles:
  - name: ra
    grants: [{database: app, tables: ["*"], actions: [select]}]
  - name: rb
    grants: [{database: app, tables: ["*"], actions: [select]}]
`, kind, dsn, loginA, loginA, loginB, loginB)
}

// TestAttackCacheIdentityPostgres: two users whose roles run as two
// backend logins send the same text over the data API. The first fills
// the cache; the second must get what its own login may read — its own
// rows under row-level security over current_user, and the server's
// refusal for a table its login may not read — never the first's entry.
func TestAttackCacheIdentityPostgres(t *testing.T) {
	dsn := testDB(t)
	pgSetup(t, dsn,
		"CREATE TABLE notes (owner text, note text)",
		"CREATE TABLE payroll (id int, salary int)",
		"INSERT INTO payroll VALUES (1, 99000)",
	)
	loginA := pgLogin(t, dsn, "GRANT SELECT ON notes, payroll TO $LOGIN")
	loginB := pgLogin(t, dsn, "GRANT SELECT ON notes TO $LOGIN")
	pgSetup(t, dsn,
		"INSERT INTO notes VALUES ('"+loginA+"', 'note-of-a'), ('"+loginB+"', 'note-of-b')",
		"ALTER TABLE notes ENABLE ROW LEVEL SECURITY",
		"CREATE POLICY own ON notes USING (owner = current_user)",
	)
	g := start(t, identityCacheConfig("postgres", dsn, loginA, loginB))

	const notes = "SELECT note FROM notes ORDER BY note"
	for i, want := range []string{"miss", "hit"} {
		a := g.cacheQuery(t, "alice", "alice-secret", "app", notes)
		if a.value != "note-of-a" || a.cache != want {
			t.Fatalf("alice read %d: %+v, want note-of-a (%s)", i, a, want)
		}
	}
	if a := g.cacheQuery(t, "mallory", "mallory-secret", "app", notes); a.value != "note-of-b" {
		t.Fatalf("mallory received %q (%s) under row security, want only note-of-b", a.value, a.cache)
	}

	const pay = "SELECT salary FROM payroll"
	if a := g.cacheQuery(t, "alice", "alice-secret", "app", pay); a.value != "99000" {
		t.Fatalf("alice payroll: %+v", a)
	}
	if a := g.cacheQuery(t, "alice", "alice-secret", "app", pay); a.cache != "hit" {
		t.Fatalf("alice payroll again: %+v, want a hit", a)
	}
	r := g.post(t, "mallory", "mallory-secret", "/v1/query?format=csv", queryBody("app", pay))
	if _, st, _ := errorOf(t, r); st != "42501" || strings.Contains(string(r.body), "99000") {
		t.Fatalf("mallory read payroll through the cache: %d %s, want the server's 42501", r.status, r.body)
	}

	// The wire relay keys by login too.
	ctx := context.Background()
	m := g.connect(t, "mallory", "mallory-secret", "app")
	var note string
	if err := m.QueryRow(ctx, notes).Scan(&note); err != nil || note != "note-of-b" {
		t.Fatalf("mallory over the wire: %q, %v", note, err)
	}
	var salary int
	if err := m.QueryRow(ctx, pay).Scan(&salary); sqlstate(err) != "42501" {
		t.Fatalf("mallory payroll over the wire: %d, %v; want 42501", salary, err)
	}
}

// TestAttackCacheIdentityMySQL: on MariaDB, a login without SELECT on a
// table never receives the entry a login with it filled.
func TestAttackCacheIdentityMySQL(t *testing.T) {
	dsn, direct := myTestDB(t)
	var dbName string
	if err := direct.QueryRow("select database()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	mySetup(t, direct,
		"CREATE TABLE payroll (id int, salary int)",
		"INSERT INTO payroll VALUES (1, 99000)",
		"CREATE TABLE open_t (id int)",
		"INSERT INTO open_t VALUES (7)",
	)
	loginA, loginB := randName("floe_t_"), randName("floe_t_")
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw-%s'", loginA, loginA),
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw-%s'", loginB, loginB),
		fmt.Sprintf("GRANT SELECT ON %s.payroll TO '%s'@'%%'", dbName, loginA),
		fmt.Sprintf("GRANT SELECT ON %s.open_t TO '%s'@'%%'", dbName, loginA),
		fmt.Sprintf("GRANT SELECT ON %s.open_t TO '%s'@'%%'", dbName, loginB),
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = direct.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", loginA))
		_, _ = direct.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", loginB))
	})
	g := start(t, identityCacheConfig("mysql", dsn, loginA, loginB))

	const pay = "SELECT salary FROM payroll"
	if a := g.cacheQuery(t, "alice", "alice-secret", "app", pay); a.value != "99000" {
		t.Fatalf("alice payroll: %+v", a)
	}
	if a := g.cacheQuery(t, "alice", "alice-secret", "app", pay); a.cache != "hit" {
		t.Fatalf("alice payroll again: %+v, want a hit", a)
	}
	r := g.post(t, "mallory", "mallory-secret", "/v1/query?format=csv", queryBody("app", pay))
	if r.status == 200 || strings.Contains(string(r.body), "99000") {
		t.Fatalf("mallory read payroll through the cache: %d %s, want the server's refusal", r.status, r.body)
	}
	if a := g.cacheQuery(t, "mallory", "mallory-secret", "app", "SELECT id FROM open_t"); a.value != "7" {
		t.Fatalf("mallory's own grant: %+v", a)
	}
	m := g.mydb(t, "mallory", "mallory-secret", "app", nil)
	var salary int
	if err := m.QueryRow(pay).Scan(&salary); err == nil {
		t.Fatalf("mallory payroll over the wire: %d", salary)
	}
}

// TestAttackCacheIdentityReload: the cache outlives a reload that keeps
// its settings, and a reload may give a login's place among the logins
// to another (identities reordered). An entry filled as one login is
// never served to the other afterwards, over the wire.
func TestAttackCacheIdentityReload(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	pgSetup(t, dsn, "CREATE TABLE notes (owner text, note text)")
	loginA := pgLogin(t, dsn, "GRANT SELECT ON notes TO $LOGIN")
	loginB := pgLogin(t, dsn, "GRANT SELECT ON notes TO $LOGIN")
	pgSetup(t, dsn,
		"INSERT INTO notes VALUES ('"+loginA+"', 'note-of-a'), ('"+loginB+"', 'note-of-b')",
		"ALTER TABLE notes ENABLE ROW LEVEL SECURITY",
		"CREATE POLICY own ON notes USING (owner = current_user)",
	)
	cfg := identityCacheConfig("postgres", dsn, loginA, loginB)
	g := start(t, cfg)
	const notes = "SELECT note FROM notes ORDER BY note"
	read := func(user string) string {
		t.Helper()
		c := g.connect(t, user, user+"-secret", "app")
		defer c.Close(ctx)
		var v string
		if err := c.QueryRow(ctx, notes).Scan(&v); err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		return v
	}
	for range 2 {
		if v := read("alice"); v != "note-of-a" {
			t.Fatalf("alice: %q", v)
		}
	}
	// The same cache settings, the identities in the other order, and a
	// user whose login tells when the new configuration is in force.
	lineA := fmt.Sprintf("      - {role: ra, user: %s, password: pw-%s}\n", loginA, loginA)
	lineB := fmt.Sprintf("      - {role: rb, user: %s, password: pw-%s}\n", loginB, loginB)
	swapped := strings.Replace(cfg, lineA+lineB, lineB+lineA, 1)
	swapped = strings.Replace(swapped, "users:\n", "users:\n  - {name: probe, password: probe-secret, roles: [rb]}\n", 1)
	if swapped == cfg {
		t.Fatal("the identities were not reordered")
	}
	g.rewrite(t, swapped)
	g.sig <- syscall.SIGHUP
	eventually(t, 10*time.Second, func() error {
		c, err := pgx.Connect(ctx, g.dsn("probe", "probe-secret", "app"))
		if err != nil {
			return err
		}
		c.Close(ctx)
		return nil
	})
	if v := read("mallory"); v != "note-of-b" {
		t.Fatalf("after the reload mallory received %q, want only note-of-b", v)
	}
	if v := read("alice"); v != "note-of-a" {
		t.Fatalf("after the reload alice received %q", v)
	}
}

// TestAttackCacheUserOperator: a user's operator runs a user's function
// as a function call does, so a SELECT using one is never served from
// the cache: here the function writes a row each time it runs, and a
// cached answer would skip it (and serve a result the function may
// change from one call to the next).
func TestAttackCacheUserOperator(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	admin := pgSetup(t, dsn,
		"CREATE TABLE items (id int)",
		"INSERT INTO items VALUES (1)",
		"CREATE TABLE calls (at timestamptz)",
		`CREATE FUNCTION eq_logged(int, int) RETURNS bool VOLATILE LANGUAGE sql AS
		   $$ INSERT INTO calls VALUES (clock_timestamp()); SELECT $1 = $2 $$`,
		"CREATE OPERATOR === (leftarg = int, rightarg = int, function = eq_logged)",
	)
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    cache: {enabled: true, ttl: 1m, max_staleness: 1m}
users:
  - {name: alice, password: alice-secret}
`, dsn))
	calls := func() int {
		t.Helper()
		var n int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM calls").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, q := range []string{"SELECT id FROM items WHERE id === 1", "SELECT id FROM items WHERE id OPERATOR(public.===) 1"} {
		for run := 1; run <= 2; run++ {
			before := calls()
			a := g.cacheQuery(t, "alice", "alice-secret", "app", q)
			if a.value != "1" || !strings.HasPrefix(a.cache, "bypass") {
				t.Errorf("%d: %s run %d: %+v, want 1 and a bypass", i, q, run, a)
			}
			if got := calls(); got != before+1 {
				t.Errorf("%s run %d: the operator's function ran %d times, want once", q, run, got-before)
			}
		}
	}
	c := g.connect(t, "alice", "alice-secret", "app")
	for run := 1; run <= 2; run++ {
		before := calls()
		var id int
		if err := c.QueryRow(ctx, "SELECT id FROM items WHERE id === 1").Scan(&id); err != nil || id != 1 {
			t.Fatalf("wire run %d: %d, %v", run, id, err)
		}
		if got := calls(); got != before+1 {
			t.Errorf("wire run %d: the operator's function ran %d times, want once", run, got-before)
		}
	}
}

// TestAttackAdvicePlannerLogin: the advisor plans the shapes users ran
// as the operator's login (the DSN's). A user who owns a table can put
// a row-level security policy on it whose function the planner folds
// (declared immutable) and which reads what only the operator's login
// may read, then fails with it in its message. The skipped shape's
// reason, shown by GET /v1/advice, must not carry it.
func TestAttackAdvicePlannerLogin(t *testing.T) {
	dsn := testDB(t)
	pgSetup(t, dsn,
		"CREATE TABLE vault_secrets (s text)",
		"INSERT INTO vault_secrets VALUES ('the-vault-secret')",
	)
	op := pgLogin(t, dsn, "GRANT SELECT ON vault_secrets TO $LOGIN")
	att := pgLogin(t, dsn)
	pgSetup(t, dsn,
		"CREATE TABLE bait (id int PRIMARY KEY, v int)",
		"INSERT INTO bait SELECT g, g FROM generate_series(1, 2000) g",
		`CREATE FUNCTION leak() RETURNS bool IMMUTABLE LANGUAGE plpgsql AS
		   $$ BEGIN RAISE EXCEPTION 'leak:%', (SELECT string_agg(s, ',') FROM vault_secrets); END $$`,
		"ALTER TABLE bait ENABLE ROW LEVEL SECURITY",
		"CREATE POLICY p ON bait USING (leak())",
		"GRANT SELECT ON bait TO "+op,
		"ALTER TABLE bait OWNER TO "+att,
		"ALTER FUNCTION leak() OWNER TO "+att,
		"ANALYZE bait",
	)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(op, "pw-"+op)
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    pool: {mode: transaction, size: 2}
    identities:
      - {role: owner, user: %s, password: pw-%s}
users:
  - {name: mallory, password: mallory-secret, roles: [owner]}
roles:
  - name: owner
    grants: [{database: app, tables: [public.bait], actions: [select]}]
advice: {top_shapes: 10, interval: 1h}
`, u.String(), att, att))
	ctx := context.Background()
	m := g.connect(t, "mallory", "mallory-secret", "app")
	for i := range 25 {
		var v int
		// The owner is not subject to the table's policy.
		if err := m.QueryRow(ctx, "SELECT v FROM bait WHERE v = $1", i+1).Scan(&v); err != nil {
			t.Fatalf("mallory's own table: %v", err)
		}
	}
	raw, err := json.Marshal(dataAdvice(t, g, "mallory", "mallory-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "the-vault-secret") {
		t.Fatalf("the advice shows what only the planner's login may read: %s", raw)
	}
	if !strings.Contains(string(raw), "relation bait of another owner") {
		t.Fatalf("the shape over bait was not refused for its policies: %s", raw)
	}
}

// TestAttackAdvicePlannerIndexPredicate: a table owner's partial index
// whose predicate calls the owner's function (declared immutable) runs
// it when a session plans a statement over the table: the advisor's
// login must not plan it.
func TestAttackAdvicePlannerIndexPredicate(t *testing.T) {
	dsn := testDB(t)
	pgSetup(t, dsn,
		"CREATE TABLE vault_secrets (s text)",
		"INSERT INTO vault_secrets VALUES ('the-vault-secret')",
	)
	op := pgLogin(t, dsn, "GRANT SELECT ON vault_secrets TO $LOGIN")
	att := pgLogin(t, dsn)
	pgSetup(t, dsn,
		"CREATE TABLE bait (id int PRIMARY KEY, v int)",
		"INSERT INTO bait SELECT g, g FROM generate_series(1, 2000) g",
		`CREATE FUNCTION trap() RETURNS bool IMMUTABLE LANGUAGE plpgsql AS
		   $$ BEGIN IF current_user = '`+op+`' THEN
		        RAISE EXCEPTION 'leak:%', (SELECT string_agg(s, ',') FROM vault_secrets);
		      END IF; RETURN true; END $$`,
		"CREATE INDEX bait_trap ON bait (v) WHERE trap()",
		"GRANT SELECT ON bait TO "+op,
		"ALTER TABLE bait OWNER TO "+att,
		"ALTER FUNCTION trap() OWNER TO "+att,
		"ANALYZE bait",
	)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(op, "pw-"+op)
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    pool: {mode: transaction, size: 2}
    identities:
      - {role: owner, user: %s, password: pw-%s}
users:
  - {name: mallory, password: mallory-secret, roles: [owner]}
roles:
  - name: owner
    grants: [{database: app, tables: [public.bait], actions: [select]}]
advice: {top_shapes: 10, interval: 1h}
`, u.String(), att, att))
	ctx := context.Background()
	m := g.connect(t, "mallory", "mallory-secret", "app")
	for i := range 25 {
		var v int
		if err := m.QueryRow(ctx, "SELECT v FROM bait WHERE v = $1", i+1).Scan(&v); err != nil {
			t.Fatalf("mallory's own table: %v", err)
		}
	}
	raw, err := json.Marshal(dataAdvice(t, g, "mallory", "mallory-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "the-vault-secret") {
		t.Fatalf("the advice shows what only the planner's login may read: %s", raw)
	}
	if !strings.Contains(string(raw), "relation bait of another owner") {
		t.Fatalf("the shape over bait was not refused for its owner: %s", raw)
	}
}

// TestAttackCacheParamTypes: the same text and parameter bytes prepared
// with another parameter type give another result (1.1 * 3 as float8 or
// numeric, and the column's type): a session that named numeric never
// receives the float8 session's entry.
func TestAttackCacheParamTypes(t *testing.T) {
	dsn := testDB(t)
	pgSetup(t, dsn, "CREATE TABLE one (id int)", "INSERT INTO one VALUES (1)")
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    cache: {enabled: true, ttl: 1m, max_staleness: 1m}
users:
  - {name: alice, password: alice-secret}
`, dsn))
	ctx := context.Background()
	const q = "SELECT $1 * 3 AS v FROM one"
	run := func(oid uint32) (string, uint32) {
		t.Helper()
		c := g.connect(t, "alice", "alice-secret", "app")
		defer c.Close(ctx)
		pc := c.PgConn()
		if _, err := pc.Prepare(ctx, "p", q, []uint32{oid}); err != nil {
			t.Fatal(err)
		}
		res := pc.ExecPrepared(ctx, "p", [][]byte{[]byte("1.1")}, []int16{0}, []int16{0}).Read()
		if res.Err != nil || len(res.Rows) != 1 {
			t.Fatalf("oid %d: %v %v", oid, res.Err, res.Rows)
		}
		return string(res.Rows[0][0]), res.FieldDescriptions[0].DataTypeOID
	}
	for range 2 {
		if v, typ := run(701); v != "3.3000000000000003" || typ != 701 {
			t.Fatalf("float8: %s (type %d)", v, typ)
		}
	}
	if v, typ := run(1700); v != "3.3" || typ != 1700 {
		t.Fatalf("numeric session received %s (type %d), want 3.3 (numeric)", v, typ)
	}
}
