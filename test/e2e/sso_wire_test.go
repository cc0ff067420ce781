package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/cli"
	"github.com/floe-db/floe/internal/oidctest"
)

// ssoWire is a gateway with token logins on both wire protocols: group
// readers maps to a read-only role that reaches PostgreSQL as a login
// holding only SELECT, writers to a role that may write; alice is an
// ordinary gateway user.
type ssoWire struct {
	g       *gateway
	iss     *oidctest.Issuer
	pg      *pgx.Conn // direct, to check the table
	my      *sql.DB   // direct
	roLogin string    // the PostgreSQL login of role reader
	audit   string
}

func startSSOWire(t *testing.T, onExpiry string, extra ...string) *ssoWire {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e")
	}
	ctx := context.Background()
	s := &ssoWire{iss: oidctest.NewIssuer(t)}
	pgDSN := testDB(t)
	direct, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { direct.Close(context.Background()) })
	s.pg = direct
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	s.roLogin = "floe_t_" + hex.EncodeToString(b) + "_ro"
	for _, q := range []string{
		"CREATE TABLE items (id int PRIMARY KEY, note text)",
		"INSERT INTO items VALUES (1, 'first')",
		"CREATE ROLE " + s.roLogin + " LOGIN",
		"GRANT SELECT ON items TO " + s.roLogin,
	} {
		if _, err := direct.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	myDSN, myDirect := myTestDB(t)
	s.my = myDirect
	for _, q := range []string{"CREATE TABLE items (id int PRIMARY KEY, note text)", "INSERT INTO items VALUES (1, 'first')"} {
		if _, err := myDirect.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	crt, key := selfSigned(t, t.TempDir())
	s.audit = filepath.Join(t.TempDir(), "audit.jsonl")
	s.g = start(t, fmt.Sprintf(`tls: {cert: %s, key: %s}
databases:
  - name: app
    kind: postgres
    primary: %s
    pool: {mode: transaction, size: 4}
    identities:
      - {role: reader, user: %s}
      - {role: writer}
      - {role: operator}
  - name: shop
    kind: mysql
    primary: %s
    pool: {mode: transaction, size: 4}
users:
  - {name: alice, password: alice-secret, roles: [operator]}
roles:
  - name: reader
    grants:
      - {database: app, tables: ["*"], actions: [select]}
      - {database: shop, tables: ["*"], actions: [select]}
  - name: writer
    grants:
      - {database: app, tables: ["*"], actions: [select, insert, update, delete]}
      - {database: shop, tables: ["*"], actions: [select, insert, update, delete]}
  - name: operator
    grants:
      - {database: app, tables: ["*"], actions: [select]}
oidc:
  issuer: %s
  audience: floe
  roles: {readers: [reader], writers: [writer]}
  wire: {enabled: true, on_expiry: %s}
policy:
  login: {max_failures: 3, window: 1m, lockout: 1m}
audit: {file: %s}
%s`, crt, key, pgDSN, s.roLogin, myDSN, s.iss.URL, onExpiry, s.audit, strings.Join(extra, "\n")))
	// Runs before the gateway stops and before testDB drops the
	// database: the role's grant goes first, then its sessions, then
	// the role.
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgDSN)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP OWNED BY "+s.roLogin)
		_, _ = c.Exec(context.Background(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", s.roLogin)
		if err := poll(10*time.Second, func() error {
			_, err := c.Exec(context.Background(), "DROP ROLE IF EXISTS "+s.roLogin)
			return err
		}); err != nil {
			t.Errorf("drop role %s: %v", s.roLogin, err)
		}
	})
	return s
}

// token is a token of the test issuer for user with groups, expiring at exp.
func (s *ssoWire) token(t *testing.T, user string, exp time.Time, groups ...string) string {
	return s.iss.Token(t, oidctest.Claims{"aud": "floe", "sub": "id-" + user, "preferred_username": user, "groups": groups, "exp": exp.Unix()})
}

func (s *ssoWire) pgDSN(user, password, sslmode string) string {
	host, port, _ := strings.Cut(s.g.pg, ":")
	return fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=app sslmode=%s connect_timeout=10", host, port, user, password, sslmode)
}

func (s *ssoWire) pgConnect(ctx context.Context, user, password, sslmode string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, s.pgDSN(user, password, sslmode))
}

func (s *ssoWire) myOpen(t *testing.T, user, password string, useTLS bool) *sql.DB {
	params := map[string]string{"allowCleartextPasswords": "true"}
	if useTLS {
		params["tls"] = "skip-verify"
	}
	return s.g.mydb(t, user, password, "shop", params)
}

func (s *ssoWire) pgCount(t *testing.T, where string) int {
	t.Helper()
	var n int
	if err := s.pg.QueryRow(context.Background(), "SELECT count(*) FROM items WHERE "+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *ssoWire) myCount(t *testing.T, where string) int {
	t.Helper()
	var n int
	if err := s.my.QueryRow("SELECT count(*) FROM items WHERE " + where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// OpenID Connect tokens as passwords on the PostgreSQL and MySQL wire:
// over TLS only, checked against the issuer's keys, the token's user
// equal to the user the client names, groups mapped to roles that the
// policy and the backend logins enforce; refusals count toward the login
// limits and are audited without the token.
func TestSSOWire(t *testing.T) {
	s := startSSOWire(t, "close")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hour := time.Now().Add(time.Hour)

	t.Run("pgx writer writes, reader cannot", func(t *testing.T) {
		w, err := s.pgConnect(ctx, "wendy", s.token(t, "wendy", hour, "writers"), "require")
		if err != nil {
			t.Fatalf("writer token login: %v", err)
		}
		defer w.Close(ctx)
		if _, err := w.Exec(ctx, "INSERT INTO items VALUES (10, 'by wendy')"); err != nil {
			t.Fatalf("writer insert: %v", err)
		}
		if n := s.pgCount(t, "id = 10"); n != 1 {
			t.Fatalf("the writer's row is not in the table (%d)", n)
		}
		r, err := s.pgConnect(ctx, "rita", s.token(t, "rita", hour, "readers"), "require")
		if err != nil {
			t.Fatalf("reader token login: %v", err)
		}
		defer r.Close(ctx)
		var login string
		if err := r.QueryRow(ctx, "SELECT current_user").Scan(&login); err != nil || login != s.roLogin {
			t.Fatalf("the reader runs as %q (%v), want its identity %s", login, err, s.roLogin)
		}
		for _, q := range []string{"INSERT INTO items VALUES (11, 'by rita')", "UPDATE items SET note = 'rita' WHERE id = 1", "DELETE FROM items WHERE id = 1"} {
			if _, err := r.Exec(ctx, q); err == nil {
				t.Errorf("reader ran %q", q)
			}
		}
		if s.pgCount(t, "id = 11") != 0 || s.pgCount(t, "id = 1 AND note = 'first'") != 1 {
			t.Fatal("the reader changed the table")
		}
		var n int
		if err := r.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil || n < 2 {
			t.Fatalf("reader select: %d %v", n, err)
		}
	})

	t.Run("psql", func(t *testing.T) {
		host, port, _ := strings.Cut(s.g.pg, ":")
		run := func(user, token, sql string) (string, error) {
			cmd := exec.CommandContext(ctx, "psql", "-X", "-h", host, "-p", port, "-U", user, "-d", "app", "-Atc", sql)
			cmd.Env = append(os.Environ(), "PGPASSWORD="+token, "PGSSLMODE=require", "PGCONNECT_TIMEOUT=10")
			out, err := cmd.CombinedOutput()
			return strings.TrimSpace(string(out)), err
		}
		if out, err := run("rita", s.token(t, "rita", hour, "readers"), "SELECT note FROM items WHERE id = 1"); err != nil || out != "first" {
			t.Fatalf("psql with a token: %q %v", out, err)
		}
		out, err := run("rita", s.token(t, "rita", hour, "readers"), "INSERT INTO items VALUES (12, 'psql')")
		if err == nil || s.pgCount(t, "id = 12") != 0 {
			t.Fatalf("psql as a reader wrote: %q", out)
		}
		out, err = run("peter", s.token(t, "peter", time.Now().Add(-time.Minute), "readers"), "SELECT 1")
		if err == nil || !strings.Contains(out, "token authentication failed") {
			t.Fatalf("psql with an expired token: %q %v", out, err)
		}
	})

	t.Run("pgx refusals", func(t *testing.T) {
		// Each case names its own user: the failures do not add up to a
		// lockout.
		claims := func(user, k string, v any) oidctest.Claims {
			c := oidctest.Claims{"aud": "floe", "sub": "id-" + user, "preferred_username": user, "groups": []string{"writers"}, "exp": hour.Unix()}
			if k != "" {
				c[k] = v
			}
			return c
		}
		for _, tc := range []struct{ name, user, token, code string }{
			{"expired", "u1", s.iss.Token(t, claims("u1", "exp", time.Now().Add(-time.Minute).Unix())), "28P01"},
			{"wrong audience", "u2", s.iss.Token(t, claims("u2", "aud", "other")), "28P01"},
			{"wrong signing key", "u3", s.iss.Forged(t, claims("u3", "", nil)), "28P01"},
			{"other issuer", "u4", s.iss.Token(t, claims("u4", "iss", "https://evil.example")), "28P01"},
			{"username mismatch", "mallory", s.iss.Token(t, claims("u5", "", nil)), "28P01"},
			{"no mapped group", "u6", s.iss.Token(t, claims("u6", "groups", []string{"ops"})), "28P01"},
			{"not a token", "u7", "hunter2", "28P01"},
			// A configured user keeps its password method: a token is
			// no password of alice's.
			{"configured user", "alice", s.iss.Token(t, claims("alice", "", nil)), "28P01"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := s.pgCount(t, "true")
				c, err := s.pgConnect(ctx, tc.user, tc.token, "require")
				if err == nil {
					_, _ = c.Exec(ctx, "INSERT INTO items VALUES (20, 'refused')")
					c.Close(ctx)
					t.Fatal("logged in")
				}
				if sqlstate(err) != tc.code {
					t.Fatalf("error %v, want %s", err, tc.code)
				}
				if s.pgCount(t, "true") != before {
					t.Fatal("the table changed")
				}
			})
		}
		// alice still logs in with her password.
		c, err := s.pgConnect(ctx, "alice", "alice-secret", "disable")
		if err != nil {
			t.Fatalf("password user: %v", err)
		}
		c.Close(ctx)
	})

	t.Run("no TLS: refused before a password is asked for", func(t *testing.T) {
		tok := s.token(t, "rita", hour, "readers")
		nc, err := net.DialTimeout("tcp", s.g.pg, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
		fe := pgproto3.NewFrontend(nc, nc)
		fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "rita", "database": "app"}})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		msg, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		er, ok := msg.(*pgproto3.ErrorResponse)
		if !ok {
			t.Fatalf("the server answered %T to a plain-text token user, want an ErrorResponse before any authentication request", msg)
		}
		if er.Code != "28000" || !strings.Contains(er.Message, "token login requires TLS") {
			t.Fatalf("error %s %q", er.Code, er.Message)
		}
		// pgx without TLS is refused the same way; the token never left.
		if _, err := s.pgConnect(ctx, "rita", tok, "disable"); sqlstate(err) != "28000" {
			t.Fatalf("pgx over plain TCP: %v", err)
		}
	})

	t.Run("go-sql-driver", func(t *testing.T) {
		w := s.myOpen(t, "wendy", s.token(t, "wendy", hour, "writers"), true)
		if _, err := w.ExecContext(ctx, "INSERT INTO items VALUES (10, 'by wendy')"); err != nil {
			t.Fatalf("writer insert: %v", err)
		}
		if s.myCount(t, "id = 10") != 1 {
			t.Fatal("the writer's row is not in the table")
		}
		r := s.myOpen(t, "rita", s.token(t, "rita", hour, "readers"), true)
		var note string
		if err := r.QueryRowContext(ctx, "SELECT note FROM items WHERE id = 1").Scan(&note); err != nil || note != "first" {
			t.Fatalf("reader select: %q %v", note, err)
		}
		for _, q := range []string{"INSERT INTO items VALUES (11, 'by rita')", "UPDATE items SET note = 'rita' WHERE id = 1", "DELETE FROM items WHERE id = 1"} {
			if _, err := r.ExecContext(ctx, q); err == nil {
				t.Errorf("reader ran %q", q)
			}
		}
		if s.myCount(t, "id = 11") != 0 || s.myCount(t, "id = 1 AND note = 'first'") != 1 {
			t.Fatal("the reader changed the table")
		}
		for name, db := range map[string]*sql.DB{
			"expired":           s.myOpen(t, "m1", s.token(t, "m1", time.Now().Add(-time.Minute), "writers"), true),
			"forged":            s.myOpen(t, "m2", s.iss.Forged(t, oidctest.Claims{"aud": "floe", "preferred_username": "m2", "groups": []string{"writers"}}), true),
			"username mismatch": s.myOpen(t, "mallory2", s.token(t, "m3", hour, "writers"), true),
			"wrong audience":    s.myOpen(t, "m4", s.iss.Token(t, oidctest.Claims{"aud": "x", "preferred_username": "m4", "groups": []string{"writers"}}), true),
		} {
			if _, err := db.ExecContext(ctx, "INSERT INTO items VALUES (21, 'refused')"); myErrno(err) != 1045 {
				t.Errorf("%s: %v, want 1045", name, err)
			}
		}
		if s.myCount(t, "id = 21") != 0 {
			t.Fatal("a refused login wrote")
		}
		// Without TLS: refused with a reason, before the switch to
		// cleartext.
		plain := s.myOpen(t, "rita", s.token(t, "rita", hour, "readers"), false)
		if err := plain.PingContext(ctx); myErrno(err) != 1045 || !strings.Contains(err.Error(), "requires TLS") {
			t.Fatalf("plain-text token login: %v", err)
		}
	})

	t.Run("mysql no TLS: no switch to cleartext", func(t *testing.T) {
		nc, err := net.DialTimeout("tcp", s.g.my, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(nc)
		if _, err := readMyPacket(br); err != nil { // greeting
			t.Fatal(err)
		}
		// HandshakeResponse41: protocol 4.1, secure connection, plugin
		// auth; the client offers mysql_clear_password with no data.
		const caps = 0x00000200 | 0x00008000 | 0x00080000 | 0x00000008
		var p []byte
		p = binary.LittleEndian.AppendUint32(p, caps)
		p = binary.LittleEndian.AppendUint32(p, 1<<24)
		p = append(p, 45)
		p = append(p, make([]byte, 23)...)
		p = append(p, "rita\x00"...)
		p = append(p, 0) // no auth data
		p = append(p, "shop\x00"...)
		p = append(p, "caching_sha2_password\x00"...)
		hdr := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 1}
		if _, err := nc.Write(append(hdr, p...)); err != nil {
			t.Fatal(err)
		}
		ans, err := readMyPacket(br)
		if err != nil {
			t.Fatal(err)
		}
		if len(ans) == 0 || ans[0] != 0xff {
			t.Fatalf("the server answered %q, want an ERR packet (no switch to mysql_clear_password)", ans)
		}
		if !strings.Contains(string(ans), "requires TLS") || strings.Contains(string(ans), "mysql_clear_password") {
			t.Fatalf("ERR %q", ans)
		}
	})

	t.Run("mysql CLI", func(t *testing.T) {
		host, port, _ := strings.Cut(s.g.my, ":")
		run := func(token, sql string) (string, error) {
			cmd := exec.CommandContext(ctx, "mysql", "--no-defaults", "--enable-cleartext-plugin", "--ssl", "-h", host, "-P", port,
				"-u", "rita", "--batch", "--skip-column-names", "-e", sql, "shop")
			cmd.Env = append(os.Environ(), "MYSQL_PWD="+token)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				err = fmt.Errorf("%w: %s", err, stderr.String())
			}
			// MariaDB's client warns that the flag is obsolete (it
			// always allows the plugin) on standard output.
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if !strings.HasPrefix(l, "WARNING: ") {
					lines = append(lines, l)
				}
			}
			return strings.Join(lines, "\n"), err
		}
		if out, err := run(s.token(t, "rita", hour, "readers"), "SELECT note FROM items WHERE id = 1"); err != nil || out != "first" {
			t.Fatalf("mysql with a token: %q %v", out, err)
		}
		if out, err := run(s.token(t, "rita", hour, "readers"), "INSERT INTO items VALUES (13, 'cli')"); err == nil || s.myCount(t, "id = 13") != 0 {
			t.Fatalf("mysql as a reader wrote: %q", out)
		}
	})

	t.Run("failures are audited without the token and count toward the lockout", func(t *testing.T) {
		good := s.token(t, "lockme", hour, "writers")
		bad := s.iss.Forged(t, oidctest.Claims{"aud": "floe", "preferred_username": "lockme", "groups": []string{"writers"}})
		for range 3 {
			if _, err := s.pgConnect(ctx, "lockme", bad, "require"); err == nil {
				t.Fatal("forged token accepted")
			}
		}
		c, err := s.pgConnect(ctx, "lockme", good, "require")
		if err == nil {
			c.Close(ctx)
			t.Fatal("a locked-out user logged in with a good token")
		}
		if sqlstate(err) != "53400" {
			t.Fatalf("locked out: %v, want 53400", err)
		}
		eventually(t, 5*time.Second, func() error {
			for _, e := range auditEvents(t, s.audit, "auth") {
				if e["user"] == "lockme" && e["ok"] == false && strings.Contains(fmt.Sprint(e["error"]), "token authentication failed") {
					return nil
				}
			}
			return errors.New("no audited token failure for lockme")
		})
		raw, err := os.ReadFile(s.audit)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{good, bad} {
			sig := tok[strings.LastIndexByte(tok, '.')+1:]
			if strings.Contains(string(raw), sig) || strings.Contains(s.g.log.String(), sig) {
				t.Fatal("a token is in the audit log or the gateway log")
			}
		}
	})
}

func readMyPacket(br *bufio.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := ioReadFull(br, h[:]); err != nil {
		return nil, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	p := make([]byte, n)
	_, err := ioReadFull(br, p)
	return p, err
}

func ioReadFull(br *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := br.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// A session whose token expires ends: with on_expiry close at once, its
// open transaction rolled back (the uncommitted row is not in the
// table), the client told why.
func TestSSOWireExpiryClose(t *testing.T) {
	s := startSSOWire(t, "close")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("postgres", func(t *testing.T) {
		exp := time.Now().Add(3 * time.Second)
		c, err := s.pgConnect(ctx, "wendy", s.token(t, "wendy", exp, "writers"), "require")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO items VALUES (30, 'uncommitted')"); err != nil {
			t.Fatal(err)
		}
		var last error
		eventually(t, time.Minute, func() error {
			if _, last = tx.Exec(ctx, "SELECT 1"); last == nil {
				return errors.New("the session is still open")
			}
			return nil
		})
		if sqlstate(last) != "28000" || !strings.Contains(last.Error(), "token") {
			t.Fatalf("the session ended with %v, want FATAL 28000 about the token", last)
		}
		eventually(t, 10*time.Second, func() error {
			if s.pgCount(t, "id = 30") != 0 {
				return errors.New("the uncommitted row is in the table")
			}
			return nil
		})
	})

	t.Run("mysql", func(t *testing.T) {
		exp := time.Now().Add(3 * time.Second)
		db := s.myOpen(t, "wendy", s.token(t, "wendy", exp, "writers"), true)
		db.SetMaxOpenConns(1)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.ExecContext(ctx, "INSERT INTO items VALUES (30, 'uncommitted')"); err != nil {
			t.Fatal(err)
		}
		var last error
		eventually(t, time.Minute, func() error {
			if _, last = tx.ExecContext(ctx, "SELECT 1"); last == nil {
				return errors.New("the session is still open")
			}
			return nil
		})
		var me *mysql.MySQLError
		if !errors.As(last, &me) || me.Number != 1927 || !strings.Contains(me.Message, "token") {
			t.Fatalf("the session ended with %v, want 1927 about the token", last)
		}
		eventually(t, 10*time.Second, func() error {
			if s.myCount(t, "id = 30") != 0 {
				return errors.New("the uncommitted row is in the table")
			}
			return nil
		})
	})
}

// With on_expiry transaction_end the open transaction may finish; the
// session ends at the next boundary.
func TestSSOWireExpiryTransactionEnd(t *testing.T) {
	s := startSSOWire(t, "transaction_end")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exp := time.Now().Add(3 * time.Second)
	c, err := s.pgConnect(ctx, "wendy", s.token(t, "wendy", exp, "writers"), "require")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO items VALUES (40, 'committed after expiry')"); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(exp.Add(time.Second)) {
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatalf("inside the transaction after expiry: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("commit after expiry: %v", err)
	}
	if s.pgCount(t, "id = 40") != 1 {
		t.Fatal("the committed row is not in the table")
	}
	var last error
	eventually(t, 30*time.Second, func() error {
		if _, last = c.Exec(ctx, "SELECT 1"); last == nil {
			return errors.New("the session is still open")
		}
		return nil
	})
	if sqlstate(last) != "28000" {
		t.Fatalf("the session ended with %v, want FATAL 28000", last)
	}
}

// approver is the stderr of floe login in the device flow: when the
// command prints the verification URL, the user opens it (and approves).
type approver struct {
	t   *testing.T
	buf strings.Builder
}

func (a *approver) Write(p []byte) (int, error) {
	a.buf.Write(p)
	for _, line := range strings.Split(string(p), "\n") {
		if u, ok := strings.CutPrefix(line, "(or open "); ok {
			resp, err := http.Get(strings.TrimSuffix(u, ")"))
			if err != nil || resp.StatusCode != 200 {
				a.t.Errorf("approve the device code: %v %v", resp, err)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
	}
	return len(p), nil
}

// floe login against the test issuer, over HTTP: the device flow writes
// the token to a password file, the client credentials flow prints it;
// psql logs in with either.
func TestSSOWireLogin(t *testing.T) {
	s := startSSOWire(t, "close")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s.iss.AddClient("floe-cli", "", nil)
	s.iss.AddClient("reporting", "s3cret", oidctest.Claims{"aud": "floe", "sub": "svc-1", "preferred_username": "reporting", "groups": []string{"readers"}})
	s.iss.DeviceUser(oidctest.Claims{"aud": "floe", "sub": "u-9", "preferred_username": "dana", "groups": []string{"readers"}})
	host, port, _ := strings.Cut(s.g.pg, ":")
	psql := func(user string, env ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "psql", "-X", "-h", host, "-p", port, "-U", user, "-d", "app", "-w", "-Atc", "SELECT note FROM items WHERE id = 1")
		cmd.Env = append(os.Environ(), append(env, "PGSSLMODE=require", "PGCONNECT_TIMEOUT=10")...)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}

	t.Run("device flow to pgpass", func(t *testing.T) {
		pgpass := filepath.Join(t.TempDir(), "pgpass")
		if err := os.WriteFile(pgpass, []byte("otherhost:5432:x:y:keep\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PGPASSFILE", pgpass)
		var stdout strings.Builder
		stderr := &approver{t: t}
		if code := cli.Main(ctx, []string{"login", "--issuer", s.iss.URL, "--client-id", "floe-cli", "--pgpass", host + ":" + port + ":app:dana"}, strings.NewReader(""), &stdout, stderr); code != 0 {
			t.Fatalf("floe login: exit %d: %s", code, stderr.buf.String())
		}
		if stdout.Len() != 0 {
			t.Fatalf("with --pgpass the token is not printed: %q", stdout.String())
		}
		raw, _ := os.ReadFile(pgpass)
		if fi, _ := os.Stat(pgpass); fi.Mode().Perm() != 0o600 || !strings.HasPrefix(string(raw), "otherhost:5432:x:y:keep\n"+host+":"+port+":app:dana:eyJ") {
			t.Fatalf("password file (%v): %q", fi.Mode(), raw)
		}
		if out, err := psql("dana", "PGPASSFILE="+pgpass); err != nil || out != "first" {
			t.Fatalf("psql with the password file: %q %v", out, err)
		}
	})

	t.Run("client credentials printed", func(t *testing.T) {
		var stdout, stderr strings.Builder
		t.Setenv("FLOE_OIDC_CLIENT_SECRET", "s3cret")
		if code := cli.Main(ctx, []string{"login", "--issuer", s.iss.URL, "--client-id", "reporting", "--flow", "client_credentials", "--env"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("floe login: exit %d: %s", code, stderr.String())
		}
		line := strings.TrimSpace(stdout.String())
		tok, ok := strings.CutPrefix(line, "PGPASSWORD=")
		if !ok || !strings.HasPrefix(tok, "eyJ") {
			t.Fatalf("--env printed %q", line)
		}
		if out, err := psql("reporting", "PGPASSWORD="+tok); err != nil || out != "first" {
			t.Fatalf("psql with the printed token: %q %v", out, err)
		}
		// The same token names reporting, not dana.
		if out, err := psql("dana", "PGPASSWORD="+tok); err == nil {
			t.Fatalf("the token logged another user in: %q", out)
		}
		t.Setenv("FLOE_OIDC_CLIENT_SECRET", "wrong")
		stdout.Reset()
		if code := cli.Main(ctx, []string{"login", "--issuer", s.iss.URL, "--client-id", "reporting", "--flow", "client_credentials"}, strings.NewReader(""), &stdout, &stderr); code == 0 || stdout.Len() != 0 {
			t.Fatalf("wrong secret: exit %d, printed %q", code, stdout.String())
		}
	})
}

// TestSSOWireNetworkRoleRule: network rules naming roles decide a token
// user by the roles its groups give, known only once the token is
// verified (the user is no gateway user): with deny by default and the
// reader role allowed, a reader logs in and a writer is refused, the
// write it came for not in the table.
func TestSSOWireNetworkRoleRule(t *testing.T) {
	s := startSSOWire(t, "close", `network:
  default: deny
  rules:
    - {action: allow, cidrs: ["127.0.0.0/8", "::1/128"], roles: [reader, operator]}`)
	ctx := context.Background()
	before := s.pgCount(t, "true")
	exp := time.Now().Add(time.Hour)
	c, err := s.pgConnect(ctx, "mallory", s.token(t, "mallory", exp, "writers"), "require")
	if err == nil {
		_, _ = c.Exec(ctx, "INSERT INTO items VALUES (99, 'from a refused network')")
		c.Close(ctx)
		t.Fatal("a token user with a role the network rules refuse logged in")
	}
	if !strings.Contains(err.Error(), "28000") {
		t.Errorf("refusal: %v", err)
	}
	if got := s.pgCount(t, "true"); got != before {
		t.Fatalf("items: %d rows, want %d", got, before)
	}
	db := s.myOpen(t, "mallory", s.token(t, "mallory", exp, "writers"), true)
	if _, err := db.Exec("INSERT INTO items VALUES (99, 'from a refused network')"); err == nil {
		t.Fatal("MySQL: a token user with a refused role wrote")
	}
	if got := s.myCount(t, "id = 99"); got != 0 {
		t.Fatalf("MySQL items: %d rows with id 99", got)
	}
	r, err := s.pgConnect(ctx, "rita", s.token(t, "rita", exp, "readers"), "require")
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	defer r.Close(ctx)
	var n int
	if err := r.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil || n != before {
		t.Fatalf("reader: %d rows, %v", n, err)
	}
}
