package e2e

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/floe-db/floe/internal/sqlparse"
)

// An application with an injection hole concatenates a request parameter
// into its SQL. TestFirewallInjectableApp plays that application against
// Floe in firewall protect mode, once through the PostgreSQL relay and
// once through the MySQL relay, with public payload lists as the
// parameter, and measures what the firewall refuses among the statements
// the server would run (a statement the server rejects as a syntax error
// is harmless and not counted).
var (
	fwAppFull   = flag.Bool("firewall.full", false, "run the whole payload lists of internal/policy/testdata/corpora instead of the sample in testdata/sqli")
	fwAppReport = flag.String("firewall.report", "", "write the injectable-app report (markdown) to this file")
)

// appTemplates are the statements the application builds from its
// parameter.
var appTemplates = []struct{ name, sql string }{
	{"where id = <p>", "SELECT id, name FROM users WHERE id = %s"},
	{"where name = '<p>'", "SELECT id, name FROM users WHERE name = '%s'"},
	{"order by <p>", "SELECT id, name FROM users ORDER BY %s"},
	{"limit <p>", "SELECT id, name FROM users LIMIT %s"},
}

func appPayloads(t *testing.T) map[string][]string {
	out := map[string][]string{}
	for _, corpus := range []string{"libinjection", "payloadsallthethings-sqli", "seclists-sqli"} {
		var files []string
		if *fwAppFull {
			dir := filepath.Join("..", "..", "internal", "policy", "testdata", "corpora", corpus)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				n := e.Name()
				if n == "LICENSE" || n == "SOURCE" || n == "COPYING" || n == "false_positives.txt" || strings.HasSuffix(n, ".md") {
					continue
				}
				files = append(files, filepath.Join(dir, n))
			}
		} else {
			files = []string{filepath.Join("testdata", "sqli", corpus+".txt")}
		}
		for _, path := range files {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				if strings.TrimSpace(line) == "" || strings.ContainsRune(line, 0) {
					continue
				}
				if corpus == "libinjection" {
					if strings.HasPrefix(line, "#") {
						continue
					}
					if d, err := url.QueryUnescape(line); err == nil {
						line = d
					}
				}
				if !strings.ContainsRune(line, 0) {
					out[corpus] = append(out[corpus], line)
				}
			}
			f.Close()
		}
	}
	return out
}

// outcome of one statement.
type outcome int

const (
	refused  outcome = iota // Floe's firewall (or parser) refused a statement the server would run
	harmless                // the server's grammar rejects it
	inert                   // the payload stayed a value: the statement is the application's own
	ran                     // Floe let it through to the server
)

type appTally struct {
	total, refused, harmless, inert, ran int
	missed                               []string
}

func (a *appTally) add(o outcome, sql string) {
	a.total++
	switch o {
	case refused:
		a.refused++
	case harmless:
		a.harmless++
	case inert:
		a.inert++
	default:
		a.ran++
		a.missed = append(a.missed, sql)
	}
}

func (a *appTally) rate() float64 {
	if a.refused+a.ran == 0 {
		return 100
	}
	return 100 * float64(a.refused) / float64(a.refused+a.ran)
}

const firewallYAML = "firewall: {mode: protect}\npolicy: {unparseable: deny}\n"

func TestFirewallInjectableApp(t *testing.T) {
	payloads := appPayloads(t)
	ctx := context.Background()

	// PostgreSQL: the application's tables and a secret it never selects.
	pgDSN := testDB(t)
	admin, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, s := range []string{
		"CREATE TABLE users (id int PRIMARY KEY, name text, password text)",
		"INSERT INTO users VALUES (1, 'ann', 'pw-ann'), (2, 'bob', 'pw-bob')",
		"CREATE TABLE api_keys (owner text, api_key text)",
		"INSERT INTO api_keys VALUES ('ann', 'sk-live-0123456789')",
	} {
		if _, err := admin.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// The server stops what the firewall misses after two seconds.
	g := start(t, relayConfig(pgDSN+"&options=-c%20statement_timeout%3D2000", "transaction", 4, "")+firewallYAML)
	client := g.connect(t, "alice", "alice-secret", "app", "default_query_exec_mode=simple_protocol")

	// MySQL.
	myDSN, direct := myTestDB(t)
	for _, s := range []string{
		"CREATE TABLE users (id int PRIMARY KEY, name varchar(50), password varchar(50))",
		"INSERT INTO users VALUES (1, 'ann', 'pw-ann'), (2, 'bob', 'pw-bob')",
		"CREATE TABLE api_keys (owner varchar(50), api_key varchar(50))",
		"INSERT INTO api_keys VALUES ('ann', 'sk-live-0123456789')",
	} {
		if _, err := direct.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	gm := start(t, myRelayConfig(myDSN, "session", 4)+firewallYAML)
	mclient := gm.mydb(t, "alice", "alice-secret", "shop", map[string]string{"multiStatements": "true", "max_statement_time": "2"})
	mclient.SetMaxOpenConns(1)

	pgRun := func(sql string) outcome {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		rr := client.PgConn().Exec(c, sql)
		_, err := rr.ReadAll()
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == "42501" && strings.Contains(pe.Message, "SQL firewall"):
			return refused
		case errors.As(err, &pe) && pe.Code == "42601":
			// pg_query is PostgreSQL's own grammar: what it rejects, the
			// server rejects.
			return harmless
		}
		if client.PgConn().IsClosed() {
			t.Fatalf("the connection closed after %q: %v", sql, err)
		}
		return ran
	}
	myRun := func(sql string) outcome {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		rows, err := mclient.QueryContext(c, sql)
		if err == nil {
			for {
				for rows.Next() {
				}
				if !rows.NextResultSet() {
					break
				}
			}
			err = rows.Err()
			rows.Close()
		}
		switch n := myErrno(err); {
		case n == 1148 && strings.Contains(err.Error(), "SQL firewall"):
			return refused
		case n == 1064:
			// Floe's parser (TiDB's grammar) or the server rejected it;
			// ask MariaDB's own parser (PREPARE parses, never runs).
			// A text of several statements cannot be prepared and counts
			// as harmless here (the firewall refuses those it can read).
			conn, cerr := direct.Conn(c)
			if cerr != nil {
				t.Fatal(cerr)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(c, "SET @floe_probe = ?", sql); err != nil {
				t.Fatal(err)
			}
			_, perr := conn.ExecContext(c, "PREPARE floe_probe FROM @floe_probe")
			if perr == nil || myErrno(perr) != 1064 {
				_, _ = conn.ExecContext(c, "DEALLOCATE PREPARE floe_probe")
				return refused // Floe's parser refused what MariaDB would run
			}
			return harmless
		}
		return ran
	}

	results := map[string]*appTally{}
	for _, corpus := range sortedKeys(payloads) {
		for _, tpl := range appTemplates {
			for _, d := range []string{"postgres", "mysql"} {
				key := fmt.Sprintf("%s | %s | %s", corpus, d, tpl.name)
				ty := &appTally{}
				results[key] = ty
				benign := appFingerprint(d, fmt.Sprintf(tpl.sql, map[bool]string{true: "x", false: "1"}[strings.Contains(tpl.sql, "'")]))
				for _, p := range payloads[corpus] {
					sql := fmt.Sprintf(tpl.sql, p)
					var o outcome
					if d == "postgres" {
						o = pgRun(sql)
					} else {
						o = myRun(sql)
					}
					if o == ran {
						if fp := appFingerprint(d, sql); fp != "" && fp == benign {
							o = inert
						}
					}
					ty.add(o, sql)
				}
			}
		}
	}

	// The effect: whatever ran, the secret and the rows are as they were
	// and no table was created or dropped.
	var pgKeys, pgUsers, pgTables int
	if err := admin.QueryRow(ctx, "SELECT (SELECT count(*) FROM api_keys WHERE api_key = 'sk-live-0123456789'), (SELECT count(*) FROM users WHERE password LIKE 'pw-%'), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')").Scan(&pgKeys, &pgUsers, &pgTables); err != nil {
		t.Fatal(err)
	}
	if pgKeys != 1 || pgUsers != 2 || pgTables != 2 {
		t.Errorf("PostgreSQL after the run: %d keys, %d users, %d tables; want 1, 2, 2", pgKeys, pgUsers, pgTables)
	}
	var myKeys, myUsers, myTables int
	if err := direct.QueryRow("SELECT (SELECT count(*) FROM api_keys WHERE api_key = 'sk-live-0123456789'), (SELECT count(*) FROM users WHERE password LIKE 'pw-%'), (SELECT count(*) FROM information_schema.tables WHERE table_schema = database())").Scan(&myKeys, &myUsers, &myTables); err != nil {
		t.Fatal(err)
	}
	if myKeys != 1 || myUsers != 2 || myTables != 2 {
		t.Errorf("MySQL after the run: %d keys, %d users, %d tables; want 1, 2, 2", myKeys, myUsers, myTables)
	}

	var b strings.Builder
	mode := "the sample in test/e2e/testdata/sqli"
	if *fwAppFull {
		mode = "the whole payload lists of internal/policy/testdata/corpora"
	}
	fmt.Fprintf(&b, "Injectable application, %s, `firewall: {mode: protect}`:\n\n", mode)
	b.WriteString("| corpus | relay | template | statements | syntax errors (harmless) | payload stayed a value (harmless) | would run | refused | **caught** |\n|---|---|---|---|---|---|---|---|---|\n")
	per := map[string]*appTally{}
	for _, k := range sortedKeys(results) {
		ty := results[k]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %.2f%% |\n", k, ty.total, ty.harmless, ty.inert, ty.refused+ty.ran, ty.refused, ty.rate())
		parts := strings.Split(k, " | ")
		agg := parts[0] + " | " + parts[1]
		if per[agg] == nil {
			per[agg] = &appTally{}
		}
		per[agg].total += ty.total
		per[agg].harmless += ty.harmless
		per[agg].refused += ty.refused
		per[agg].ran += ty.ran
	}
	b.WriteString("\n| corpus | relay | statements | would run | refused | **caught** |\n|---|---|---|---|---|---|\n")
	all := &appTally{}
	for _, k := range sortedKeys(per) {
		ty := per[k]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.2f%% |\n", k, ty.total, ty.refused+ty.ran, ty.refused, ty.rate())
		all.refused += ty.refused
		all.ran += ty.ran
		all.total += ty.total
	}
	fmt.Fprintf(&b, "| **all** | | %d | %d | %d | **%.2f%%** |\n", all.total, all.refused+all.ran, all.refused, all.rate())
	t.Log("\n" + b.String())
	if *fwAppReport != "" {
		if err := os.WriteFile(*fwAppReport, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var missed []string
	for _, k := range sortedKeys(results) {
		for _, s := range results[k].missed {
			missed = append(missed, k+": "+s)
		}
	}
	sort.Strings(missed)
	for i, s := range missed {
		if i < 40 || testing.Verbose() {
			t.Logf("ran: %.220s", s)
		}
	}
	if r := all.rate(); r < 90 {
		t.Errorf("caught %.2f%% of the payloads that would run, want ≥ 90%%", r)
	}
}

// appFingerprint is the statement's fingerprint with literals normalised,
// "" when it does not parse.
func appFingerprint(dialect, sql string) string {
	parse := sqlparse.Postgres
	if dialect == "mysql" {
		parse = sqlparse.MySQL
	}
	sts, err := parse(sql)
	if err != nil {
		return ""
	}
	fps := make([]string, len(sts))
	for i, st := range sts {
		fps[i] = st.Fingerprint
	}
	return strings.Join(fps, ";")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
