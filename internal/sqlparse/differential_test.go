package sqlparse

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// The differential tests generate texts full of what lexers disagree on
// — quotes, backslashes, E'' and dollar quoting, comments (nested in
// PostgreSQL, executable in MySQL), quoted identifiers, multibyte UTF-8,
// statement separators inside all of these — and compare the gateway's
// reading (statement boundaries, each literal's value, each column name)
// with the server's own: the server runs the text and the results must be
// exactly the literals the parser saw, under every session setting the
// policy allows. FLOE_LEXDIFF_CASES sets the number of texts (default
// 300; `make lexdiff` runs many more); FLOE_LEXDIFF_SEED replays a run.

func lexdiffCases(t *testing.T) (int, *rand.Rand) {
	n := 300
	if v := os.Getenv("FLOE_LEXDIFF_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("FLOE_LEXDIFF_CASES: %v", err)
		}
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("FLOE_LEXDIFF_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("FLOE_LEXDIFF_SEED: %v", err)
		}
	}
	t.Logf("%d texts, FLOE_LEXDIFF_SEED=%d", n, seed)
	return n, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// pieces are what literal values and comment bodies are made of.
var lexPieces = []string{"a", "Z", "0", " ", "'", "''", "\\", "\\\\", "\"", "$", "$$", "$t$", "-", "--", "/*", "*/", "*", "/",
	";", "#", "\n", "\t", "`", "é", "日本", "😀", "E'", "%", "_", "!", "/*!", "/*M!", "*/;", "\\'"}

func randValue(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(7) {
		b.WriteString(lexPieces[r.IntN(len(lexPieces))])
	}
	return b.String()
}

// randComment is a comment body with no end marker in it.
func randComment(r *rand.Rand) string {
	v := randValue(r)
	for strings.Contains(v, "*/") || strings.HasSuffix(v, "*") || strings.Contains(v, "/*") {
		v = strings.NewReplacer("*/", "x", "/*", "y").Replace(v)
		v = strings.TrimSuffix(v, "*")
	}
	return v
}

func TestDifferentialPostgres(t *testing.T) {
	dsn := os.Getenv("FLOE_TEST_PG")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	n, r := lexdiffCases(t)
	// The settings the policy allows that bear on lexing: the pinned ones.
	for _, q := range []string{"SET standard_conforming_strings = on", "SET client_encoding = 'UTF8'"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	checked, refused := 0, 0
	for i := range n {
		text := genPostgres(r)
		stmts, err := Postgres(text)
		if err != nil {
			refused++
			continue
		}
		want, err := pgReading(text)
		if err != nil {
			// Comments opened inside comments made it more than literals.
			refused++
			continue
		}
		if len(want) != len(stmts) {
			t.Fatalf("text %d: the parser's two readings differ: %q", i, text)
		}
		results, err := conn.PgConn().Exec(ctx, text).ReadAll()
		if err != nil {
			t.Errorf("text %d: the gateway reads %d statements, the server fails: %v\n%q", i, len(want), err, text)
			continue
		}
		var got [][2][]string
		for _, res := range results {
			var row [2][]string
			for _, f := range res.FieldDescriptions {
				row[0] = append(row[0], f.Name)
			}
			if len(res.Rows) == 1 {
				for _, v := range res.Rows[0] {
					row[1] = append(row[1], string(v))
				}
			}
			got = append(got, row)
		}
		if !sameReading(got, want) {
			t.Errorf("text %d: readings differ\n text:    %q\n gateway: %q\n server:  %q", i, text, want, got)
		}
		checked++
	}
	t.Logf("%d texts read alike, %d refused by the parser or not only literals", checked, refused)
	if checked < n/2 {
		t.Errorf("only %d of %d generated texts parsed: the generator is off", checked, n)
	}
}

// genPostgres makes one to three SELECTs of literals with random gaps.
func genPostgres(r *rand.Rand) string {
	var b strings.Builder
	for s := range 1 + r.IntN(3) {
		if s > 0 {
			b.WriteString(";" + pgGap(r))
		}
		b.WriteString("SELECT" + pgGap(r) + " ")
		for c := range 1 + r.IntN(4) {
			if c > 0 {
				b.WriteString("," + pgGap(r))
			}
			b.WriteString(pgLiteral(r, randValue(r)))
			b.WriteString(pgGap(r) + " AS " + pgIdent(r, fmt.Sprintf("c%d", c)) + pgGap(r))
		}
	}
	if r.IntN(2) == 0 {
		b.WriteString(";")
	}
	return b.String()
}

func pgGap(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return " /*" + randComment(r) + "*/ "
	case 1:
		return " /* " + randComment(r) + " /* " + randComment(r) + " */ " + randComment(r) + " */ " // nested
	case 2:
		return " --" + strings.ReplaceAll(randValue(r), "\n", " ") + "\n"
	case 3:
		return "\n"
	}
	return " "
}

func pgIdent(r *rand.Rand, base string) string {
	if r.IntN(2) == 0 {
		return base
	}
	return `"` + strings.ReplaceAll(base+randValue(r), `"`, `""`) + `"`
}

// pgLiteral writes v as a literal in one of PostgreSQL's forms.
func pgLiteral(r *rand.Rand, v string) string {
	switch r.IntN(3) {
	case 0: // E'…'
		var b strings.Builder
		b.WriteString("E'")
		for _, c := range v {
			switch c {
			case '\\':
				b.WriteString(`\\`)
			case '\'':
				b.WriteString([]string{`\'`, `''`}[r.IntN(2)])
			case '\n':
				b.WriteString([]string{`\n`, "\n"}[r.IntN(2)])
			case 'a':
				b.WriteString([]string{`a`, `\x61`, `\141`, `\u0061`}[r.IntN(4)])
			default:
				b.WriteRune(c)
			}
		}
		return b.String() + "'"
	case 1: // $tag$…$tag$
		tag := []string{"", "t", "x_1"}[r.IntN(3)]
		d := "$" + tag + "$"
		if strings.Index(v+d, d) == len(v) {
			return d + v + d
		}
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// pgReading is the parser's reading: per statement, the column names and
// the literal values.
func pgReading(text string) ([][2][]string, error) {
	tree, err := pg_query.Parse(text)
	if err != nil {
		return nil, err
	}
	var out [][2][]string
	for _, raw := range tree.Stmts {
		sel := raw.Stmt.GetSelectStmt()
		if sel == nil {
			return nil, fmt.Errorf("not a SELECT")
		}
		var row [2][]string
		for _, tgt := range sel.TargetList {
			rt := tgt.GetResTarget()
			c := rt.Val.GetAConst()
			if c == nil || c.Isnull || c.Val != nil && c.GetSval() == nil {
				return nil, fmt.Errorf("not a string literal: %v", rt.Val)
			}
			name := rt.Name
			if name == "" {
				name = "?column?" // the server's name for an unnamed column
			}
			row[0] = append(row[0], name)
			row[1] = append(row[1], c.GetSval().GetSval()) // '' has no value
		}
		out = append(out, row)
	}
	return out, nil
}

func TestDifferentialMySQL(t *testing.T) {
	dsn := os.Getenv("FLOE_TEST_MYSQL")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/test"
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MultiStatements = true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("connect to MariaDB: %v", err)
	}
	defer conn.Close()
	n, r := lexdiffCases(t)
	// sql_mode values the policy allows, and the pinned character set.
	modes := []string{"STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION", "", "TRADITIONAL",
		"REAL_AS_FLOAT,PAD_CHAR_TO_FULL_LENGTH,ONLY_FULL_GROUP_BY"}
	if _, err := conn.ExecContext(ctx, "SET NAMES utf8mb4"); err != nil {
		t.Fatal(err)
	}
	checked, refused := 0, 0
	for i := range n {
		if i%50 == 0 {
			if _, err := conn.ExecContext(ctx, "SET sql_mode = '"+modes[(i/50)%len(modes)]+"'"); err != nil {
				t.Fatal(err)
			}
		}
		text := genMySQL(r)
		want, err := myReading(text)
		if err != nil {
			if testing.Verbose() {
				t.Logf("refused: %v: %q", err, text)
			}
			refused++
			continue
		}
		got, err := myServerReading(ctx, conn, text)
		if err != nil {
			t.Errorf("text %d: the gateway reads %d statements, the server fails: %v\n%q", i, len(want), err, text)
			continue
		}
		if !sameReading(got, want) {
			t.Errorf("text %d: readings differ\n text:    %q\n gateway: %q\n server:  %q", i, text, want, got)
		}
		checked++
	}
	t.Logf("%d texts read alike, %d refused by the parser", checked, refused)
	if checked < n/3 {
		t.Errorf("only %d of %d generated texts parsed: the generator is off", checked, n)
	}
}

// sameReading compares per-statement column names and values; a column
// the parser saw without an alias takes whatever name the server gives.
func sameReading(got, want [][2][]string) bool {
	return slices.EqualFunc(got, want, func(g, w [2][]string) bool {
		if len(g[0]) != len(w[0]) || !slices.Equal(g[1], w[1]) {
			return false
		}
		for i := range w[0] {
			if w[0][i] != "" && w[0][i] != g[0][i] {
				return false
			}
		}
		return true
	})
}

func genMySQL(r *rand.Rand) string {
	var b strings.Builder
	for s := range 1 + r.IntN(3) {
		if s > 0 {
			b.WriteString(";" + myGap(r))
		}
		b.WriteString("SELECT" + myGap(r) + " ")
		for c := range 1 + r.IntN(4) {
			item := myLiteral(r, randValue(r)) + myGap(r) + " AS " + myIdent(r, fmt.Sprintf("c%d", c)) + myGap(r)
			sep := ","
			if c == 0 {
				sep = ""
			}
			switch r.IntN(5) {
			case 0: // inside an executable comment every server runs
				item = myLiteral(r, randValue(r)) + " AS " + myIdent(r, fmt.Sprintf("c%d", c))
				b.WriteString([]string{"/*!", "/*!40101", "/*!50001 "}[r.IntN(3)] + sep + " " + item + " */ ")
			case 1: // inside a comment no server runs
				if c > 0 {
					body := randComment(r)
					if r.IntN(2) == 0 {
						body = ", " + myLiteral(r, randComment(r)) + " AS hidden"
					}
					b.WriteString([]string{"/*T![clustered_index] ", "/*+ ", "/*M ", "/* "}[r.IntN(4)] + body + " */ ")
				}
				b.WriteString(sep + item)
			default:
				b.WriteString(sep + myGap(r) + item)
			}
		}
	}
	return b.String()
}

func myGap(r *rand.Rand) string {
	switch r.IntN(7) {
	case 0:
		// A space first: a body starting with ! or M! would make an
		// executable comment of random content (the readings of which
		// differ in grammar — an introducer literal followed by a string
		// is one string to MariaDB and a string with an alias to TiDB —
		// not in lexing).
		return " /* " + randComment(r) + "*/ "
	case 6:
		return []string{" /*!*/ ", " /*!40101 */ ", "/*!50001*/", " /*T![clustered_index] */ ", " /*+ */ "}[r.IntN(5)]
	case 1:
		return " #" + strings.ReplaceAll(randValue(r), "\n", " ") + "\n"
	case 2:
		return " -- " + strings.ReplaceAll(randValue(r), "\n", " ") + "\n"
	case 3:
		return "\n"
	}
	return " "
}

func myIdent(r *rand.Rand, base string) string {
	if r.IntN(2) == 0 {
		return base
	}
	// MariaDB identifiers hold no 4-byte characters (a server rule, not
	// a lexing one), nor line breaks here.
	v := strings.NewReplacer("\n", "", "😀", "").Replace(randValue(r))
	return "`" + strings.ReplaceAll(base+v, "`", "``") + "`"
}

// myLiteral writes v as a MySQL string literal in one of its forms.
func myLiteral(r *rand.Rand, v string) string {
	q := []byte{'\'', '"'}[r.IntN(2)]
	var b strings.Builder
	prefix := []string{"", "", "_utf8mb4", "N"}[r.IntN(4)]
	b.WriteString(prefix)
	if b.Len() == 1 {
		q = '\'' // N"…" is not a literal
	}
	if b.Len() == 1 {
		v = strings.ReplaceAll(v, "😀", "") // N'' is utf8mb3
	}
	b.WriteByte(q)
	for _, c := range v {
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == rune(q):
			b.WriteString([]string{`\` + string(q), string(q) + string(q)}[r.IntN(2)])
		case c == '\n':
			b.WriteString([]string{`\n`, "\n"}[r.IntN(2)])
		case c == '%' || c == '_':
			b.WriteString([]string{`\` + string(c), string(c)}[r.IntN(2)])
		case c == 'Z':
			b.WriteString([]string{`\Z`, `Z`, `\q`}[r.IntN(3)])
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte(q)
	if prefix == "" && r.IntN(6) == 0 {
		// Adjacent strings are one literal.
		b.WriteString(" '" + strings.NewReplacer(`\`, `\\`, "'", "''").Replace(randValue(r)) + "'")
	}
	return b.String()
}

// myReading is the parser's reading of text as the gateway parses it.
func myReading(text string) ([][2][]string, error) {
	server, err := mysqlServerText(text)
	if err != nil {
		return nil, err
	}
	nodes, _, err := parser.New().Parse(server, "", "")
	if err != nil {
		return nil, err
	}
	var out [][2][]string
	for _, n := range nodes {
		sel, ok := n.(*ast.SelectStmt)
		if !ok {
			return nil, fmt.Errorf("not a SELECT")
		}
		var row [2][]string
		for _, f := range sel.Fields.Fields {
			v, ok := f.Expr.(*test_driver.ValueExpr)
			if !ok {
				return nil, fmt.Errorf("not a literal")
			}
			row[0] = append(row[0], f.AsName.O)
			row[1] = append(row[1], v.GetString())
		}
		out = append(out, row)
	}
	return out, nil
}

func myServerReading(ctx context.Context, conn *sql.Conn, text string) ([][2][]string, error) {
	rows, err := conn.QueryContext(ctx, text)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2][]string
	for {
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		row := [2][]string{cols, nil}
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return nil, err
			}
			for _, v := range vals {
				row[1] = append(row[1], string(v))
			}
		}
		out = append(out, row)
		if !rows.NextResultSet() {
			break
		}
	}
	return out, rows.Err()
}
