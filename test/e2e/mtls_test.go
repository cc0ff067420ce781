package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/floe-db/floe/internal/tlsauth/certtest"
)

// mtlsFixture is a gateway with client certificate authentication over
// PostgreSQL database app and MariaDB database shop, each with a table
// floe_t_mtls, and the certificates of the tests.
type mtlsFixture struct {
	g         *gateway
	dir       string
	auditPath string
	crlPath   string
	ca, evil  *certtest.CA
	certs     map[string][2]string // name → cert, key files
	leaves    map[string]*certtest.Leaf
	cfg       string // the configuration the gateway started with
	pgDirect  *pgx.Conn
	myDirect  *sql.DB
}

func newMTLSFixture(t *testing.T) *mtlsFixture {
	t.Helper()
	f := &mtlsFixture{dir: t.TempDir(), certs: map[string][2]string{}, leaves: map[string]*certtest.Leaf{}}
	f.ca, f.evil = certtest.NewCA(t, "Floe test CA"), certtest.NewCA(t, "Floe test CA") // same name, other key
	certtest.WriteFile(t, filepath.Join(f.dir, "ca.crt"), f.ca.PEM)
	server := f.ca.Issue(t, certtest.Options{CN: "floe", Server: true})
	srvCert, srvKey := server.Write(t, f.dir, "server")
	past := time.Now().Add(-48 * time.Hour)
	for name, l := range map[string]*certtest.Leaf{
		"svc":      f.ca.Issue(t, certtest.Options{CN: "svc", O: "Floe services"}),
		"revoked":  f.ca.Issue(t, certtest.Options{CN: "svc", O: "Floe services"}),
		"expired":  f.ca.Issue(t, certtest.Options{CN: "svc", O: "Floe services", NotBefore: past, NotAfter: past.Add(time.Hour)}),
		"wrongca":  f.evil.Issue(t, certtest.Options{CN: "svc", O: "Floe services"}),
		"intruder": f.ca.Issue(t, certtest.Options{CN: "intruder", O: "Floe services"}),
		"both":     f.ca.Issue(t, certtest.Options{CN: "both", Emails: []string{"both@example.com"}}),
	} {
		c, k := l.Write(t, f.dir, name)
		f.certs[name], f.leaves[name] = [2]string{c, k}, l
	}
	f.crlPath = filepath.Join(f.dir, "ca.crl")
	certtest.WriteFile(t, f.crlPath, f.ca.CRL(t, 1))
	f.auditPath = filepath.Join(f.dir, "audit.jsonl")

	pgDSN := testDB(t)
	var err error
	if f.pgDirect, err = pgx.Connect(context.Background(), pgDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.pgDirect.Close(context.Background()) })
	if _, err := f.pgDirect.Exec(context.Background(), "CREATE TABLE floe_t_mtls (who text)"); err != nil {
		t.Fatal(err)
	}
	myDSN, myDirect := myTestDB(t)
	f.myDirect = myDirect
	if _, err := myDirect.Exec("CREATE TABLE floe_t_mtls (who varchar(64))"); err != nil {
		t.Fatal(err)
	}
	f.cfg = fmt.Sprintf(`tls:
  cert: %s
  key: %s
  client_ca: %s
  crl: %s
  crl_check_interval: 100ms
databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
users:
  - {name: svc, auth: certificate, certificate: {subjects: ["CN=svc,O=Floe services"]}, roles: [writer]}
  - {name: both, password: both-secret, certificate: {sans: ["*@example.com"]}, roles: [writer]}
  - {name: alice, password: alice-secret, roles: [writer]}
roles:
  - name: writer
    grants:
      - {database: app, tables: [floe_t_mtls], actions: [select, insert]}
      - {database: shop, tables: [floe_t_mtls], actions: [select, insert]}
audit:
  file: %s
`, srvCert, srvKey, filepath.Join(f.dir, "ca.crt"), f.crlPath, pgDSN, myDSN, f.auditPath)
	f.g = start(t, f.cfg)
	return f
}

// pgRows lists the who column of app's table, read directly.
func (f *mtlsFixture) pgRows(t *testing.T) []string {
	t.Helper()
	rows, err := f.pgDirect.Query(context.Background(), "SELECT who FROM floe_t_mtls ORDER BY who")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// myRows lists the who column of shop's table, read directly.
func (f *mtlsFixture) myRows(t *testing.T) []string {
	t.Helper()
	out, err := sqlStrings(f.myDirect.Query("SELECT who FROM floe_t_mtls ORDER BY who"))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// pgDSN is a pgx/libpq DSN with the client certificate cert ("" none).
func (f *mtlsFixture) pgDSN(user, password, cert string) string {
	host, port, _ := strings.Cut(f.g.pg, ":")
	s := fmt.Sprintf("host=%s port=%s user=%s dbname=app sslmode=verify-ca sslrootcert=%s connect_timeout=10", host, port, user, filepath.Join(f.dir, "ca.crt"))
	if password != "" {
		s += " password=" + password
	}
	if cert != "" {
		s += fmt.Sprintf(" sslcert=%s sslkey=%s", f.certs[cert][0], f.certs[cert][1])
	}
	return s
}

// pgInsert logs in with pgx and inserts who; it returns the first error.
func (f *mtlsFixture) pgInsert(user, password, cert, who string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, f.pgDSN(user, password, cert))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "INSERT INTO floe_t_mtls VALUES ($1)", who)
	return err
}

// auditHas waits for an auth record with all of fields.
func (f *mtlsFixture) auditHas(t *testing.T, fields map[string]any) {
	t.Helper()
	eventually(t, 5*time.Second, func() error {
	next:
		for _, rec := range auditEvents(t, f.auditPath, "auth") {
			for k, v := range fields {
				if fmt.Sprint(rec[k]) != fmt.Sprint(v) {
					continue next
				}
			}
			return nil
		}
		return fmt.Errorf("no auth audit record with %v", fields)
	})
}

func (f *mtlsFixture) clientTLS(t *testing.T, cert string) *tls.Config {
	t.Helper()
	c := &tls.Config{RootCAs: certtest.Pool(f.ca), ServerName: "127.0.0.1"}
	if cert != "" {
		c.Certificates = []tls.Certificate{f.leaves[cert].TLS(t)}
	}
	return c
}

// TestMTLS logs users in with client certificates through psql, pgx, the
// mysql CLI, go-sql-driver, curl and the Flight SQL client, and refuses
// certificates of another CA, expired, revoked (by a CRL rewritten while
// the gateway runs) and bound to no user, checking that what the refused
// clients tried to write is not in the tables.
func TestMTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	f := newMTLSFixture(t)

	t.Run("pgx certificate user", func(t *testing.T) {
		if err := f.pgInsert("svc", "", "svc", "pgx-svc"); err != nil {
			t.Fatalf("certificate login: %v", err)
		}
		if !contains(f.pgRows(t), "pgx-svc") {
			t.Fatal("the certificate user's INSERT is not in the table")
		}
		f.auditHas(t, map[string]any{"user": "svc", "method": "certificate", "ok": true, "subject": "CN=svc,O=Floe services"})
		// Its grants hold: no DELETE.
		ctx := context.Background()
		c, err := pgx.Connect(ctx, f.pgDSN("svc", "", "svc"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DELETE FROM floe_t_mtls"); sqlstate(err) != "42501" {
			t.Errorf("DELETE without a grant: %v", err)
		}
		if !contains(f.pgRows(t), "pgx-svc") {
			t.Error("the denied DELETE removed rows")
		}
	})

	t.Run("psql", func(t *testing.T) {
		if _, err := exec.LookPath("psql"); err != nil {
			t.Skip("psql not installed")
		}
		psql := func(user, password, cert, sql string) (string, error) {
			cmd := exec.Command("psql", "-w", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql, f.pgDSN(user, "", cert))
			cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=10")
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		if out, err := psql("svc", "", "svc", "INSERT INTO floe_t_mtls VALUES ('psql-svc')"); err != nil {
			t.Fatalf("psql with a client certificate: %v: %s", err, out)
		}
		if out, err := psql("both", "both-secret", "both", "INSERT INTO floe_t_mtls VALUES ('psql-both')"); err != nil {
			t.Fatalf("psql with certificate and password: %v: %s", err, out)
		}
		out, err := psql("both", "wrong", "both", "INSERT INTO floe_t_mtls VALUES ('psql-both-wrong')")
		if err == nil || !strings.Contains(out, "password authentication failed") {
			t.Errorf("certificate with a wrong password: %v: %s", err, out)
		}
		out, err = psql("both", "both-secret", "", "INSERT INTO floe_t_mtls VALUES ('psql-both-nocert')")
		if err == nil || !strings.Contains(out, "client certificate is required") {
			t.Errorf("password without the certificate: %v: %s", err, out)
		}
		out, err = psql("svc", "", "wrongca", "INSERT INTO floe_t_mtls VALUES ('psql-wrongca')")
		if err == nil || !strings.Contains(out, "alert unknown ca") {
			t.Errorf("certificate of another CA: %v: %s", err, out)
		}
		rows := f.pgRows(t)
		if !contains(rows, "psql-svc") || !contains(rows, "psql-both") {
			t.Errorf("rows %v lack the psql inserts", rows)
		}
		for _, bad := range []string{"psql-both-wrong", "psql-both-nocert", "psql-wrongca"} {
			if contains(rows, bad) {
				t.Errorf("refused client's row %q is in the table", bad)
			}
		}
	})

	t.Run("refused certificates", func(t *testing.T) {
		for _, c := range []struct {
			name, user, password, cert string
			audit                      map[string]any
			sqlstate                   string // "" the TLS handshake fails
			alert                      string // the TLS alert the client gets
		}{
			{"wrong CA", "svc", "", "wrongca", map[string]any{"reason": "unknown_ca", "stage": "tls", "subject": "CN=svc,O=Floe services"}, "", "unknown certificate authority"},
			{"expired", "svc", "", "expired", map[string]any{"reason": "expired", "stage": "tls", "subject": "CN=svc,O=Floe services"}, "", "expired certificate"},
			{"unmatched subject", "svc", "", "intruder", map[string]any{"user": "svc", "reason": "certificate_mismatch", "subject": "CN=intruder,O=Floe services"}, "28000", ""},
			{"password without certificate", "both", "both-secret", "", map[string]any{"user": "both", "reason": "certificate_required"}, "28000", ""},
			{"certificate user without certificate", "svc", "anything", "", map[string]any{"user": "svc", "reason": "certificate_required"}, "28000", ""},
		} {
			who := "refused-" + strings.ReplaceAll(c.name, " ", "-")
			err := f.pgInsert(c.user, c.password, c.cert, who)
			switch {
			case err == nil:
				t.Errorf("%s: logged in", c.name)
			case c.sqlstate != "" && sqlstate(err) != c.sqlstate:
				t.Errorf("%s: %v, want SQLSTATE %s", c.name, err, c.sqlstate)
			case c.sqlstate == "" && !strings.Contains(err.Error(), c.alert):
				t.Errorf("%s: %v, want the alert %q", c.name, err, c.alert)
			}
			if contains(f.pgRows(t), who) {
				t.Errorf("%s: the refused INSERT is in the table", c.name)
			}
			f.auditHas(t, c.audit)
		}
	})

	t.Run("mysql CLI", func(t *testing.T) {
		if _, err := exec.LookPath("mysql"); err != nil {
			t.Skip("mysql client not installed")
		}
		host, port, _ := strings.Cut(f.g.my, ":")
		run := func(user, password, cert, sql string) (string, error) {
			args := []string{"-h", host, "-P", port, "-u", user, "--ssl-ca=" + filepath.Join(f.dir, "ca.crt"), "--connect-timeout=10"}
			if password != "" {
				args = append(args, "-p"+password)
			}
			if cert != "" {
				args = append(args, "--ssl-cert="+f.certs[cert][0], "--ssl-key="+f.certs[cert][1])
			}
			out, err := exec.Command("mysql", append(args, "shop", "-e", sql)...).CombinedOutput()
			return string(out), err
		}
		if out, err := run("svc", "", "svc", "INSERT INTO floe_t_mtls VALUES ('cli-svc')"); err != nil {
			t.Fatalf("mysql with a client certificate: %v: %s", err, out)
		}
		for name, c := range map[string][3]string{
			"wrong CA":          {"svc", "", "wrongca"},
			"expired":           {"svc", "", "expired"},
			"unmatched subject": {"svc", "", "intruder"},
			"no certificate":    {"both", "both-secret", ""},
		} {
			who := "cli-" + strings.ReplaceAll(name, " ", "-")
			if out, err := run(c[0], c[1], c[2], "INSERT INTO floe_t_mtls VALUES ('"+who+"')"); err == nil {
				t.Errorf("%s: logged in: %s", name, out)
			} else if c[2] != "wrongca" && c[2] != "expired" && !strings.Contains(out, "1045") {
				t.Errorf("%s: %s, want error 1045", name, out)
			}
			if contains(f.myRows(t), who) {
				t.Errorf("%s: the refused INSERT is in the table", name)
			}
		}
		if !contains(f.myRows(t), "cli-svc") {
			t.Error("the certificate user's INSERT is not in the table")
		}
		f.auditHas(t, map[string]any{"protocol": "mysql", "stage": "tls", "reason": "unknown_ca", "subject": "CN=svc,O=Floe services"})
		f.auditHas(t, map[string]any{"protocol": "mysql", "user": "svc", "reason": "certificate_mismatch", "subject": "CN=intruder,O=Floe services"})
	})

	t.Run("go-sql-driver", func(t *testing.T) {
		open := func(name, user, password, cert string) *sql.DB {
			tlsName := "floe_t_mtls_" + name
			if err := mysql.RegisterTLSConfig(tlsName, f.clientTLS(t, cert)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { mysql.DeregisterTLSConfig(tlsName) })
			return f.g.mydb(t, user, password, "shop", map[string]string{"tls": tlsName})
		}
		if _, err := open("svc", "svc", "", "svc").Exec("INSERT INTO floe_t_mtls VALUES ('gosql-svc')"); err != nil {
			t.Fatalf("certificate login: %v", err)
		}
		if _, err := open("both", "both", "both-secret", "both").Exec("INSERT INTO floe_t_mtls VALUES ('gosql-both')"); err != nil {
			t.Fatalf("certificate and password: %v", err)
		}
		if _, err := open("bothwrong", "both", "wrong", "both").Exec("INSERT INTO floe_t_mtls VALUES ('gosql-both-wrong')"); myErrno(err) != 1045 {
			t.Errorf("certificate with a wrong password: %v", err)
		}
		if _, err := open("intruder", "svc", "", "intruder").Exec("INSERT INTO floe_t_mtls VALUES ('gosql-intruder')"); myErrno(err) != 1045 {
			t.Errorf("unmatched certificate: %v", err)
		}
		if _, err := open("wrongca", "svc", "", "wrongca").Exec("INSERT INTO floe_t_mtls VALUES ('gosql-wrongca')"); err == nil {
			t.Error("certificate of another CA logged in")
		}
		rows := f.myRows(t)
		if !contains(rows, "gosql-svc") || !contains(rows, "gosql-both") {
			t.Errorf("rows %v lack the certificate users' inserts", rows)
		}
		for _, bad := range []string{"gosql-both-wrong", "gosql-intruder", "gosql-wrongca"} {
			if contains(rows, bad) {
				t.Errorf("refused client's row %q is in the table", bad)
			}
		}
	})

	t.Run("curl", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl not installed")
		}
		curl := func(cert string, sql string, extra ...string) (string, error) {
			args := []string{"-sS", "--max-time", "15", "--cacert", filepath.Join(f.dir, "ca.crt"), "-H", "Content-Type: application/json",
				"-d", fmt.Sprintf(`{"database":"app","sql":%q}`, sql), "-w", "\nstatus=%{http_code}"}
			if cert != "" {
				args = append(args, "--cert", f.certs[cert][0], "--key", f.certs[cert][1])
			}
			args = append(args, extra...)
			out, err := exec.Command("curl", append(args, "https://"+f.g.http+"/v1/query")...).CombinedOutput()
			return string(out), err
		}
		if out, err := curl("svc", "INSERT INTO floe_t_mtls VALUES ('curl-svc')"); err != nil || !strings.Contains(out, "status=200") {
			t.Fatalf("certificate request: %v: %s", err, out)
		}
		if out, err := curl("svc", "SELECT who FROM floe_t_mtls WHERE who = 'curl-svc'"); err != nil || !strings.Contains(out, "curl-svc") {
			t.Errorf("certificate user's read: %v: %s", err, out)
		}
		if out, err := curl("both", "INSERT INTO floe_t_mtls VALUES ('curl-both')", "-u", "both:both-secret"); err != nil || !strings.Contains(out, "status=200") {
			t.Errorf("certificate and Basic: %v: %s", err, out)
		}
		for name, c := range map[string][]string{
			"password without certificate":  {"", "-u", "both:both-secret"},
			"certificate of another user":   {"svc", "-u", "both:both-secret"},
			"unmatched subject":             {"intruder"},
			"expired":                       {"expired"},
			"wrong CA":                      {"wrongca"},
			"certificate user without cert": {""},
		} {
			who := "curl-" + strings.ReplaceAll(name, " ", "-")
			out, err := curl(c[0], "INSERT INTO floe_t_mtls VALUES ('"+who+"')", c[1:]...)
			if err == nil && strings.Contains(out, "status=200") {
				t.Errorf("%s: accepted: %s", name, out)
			}
			if contains(f.pgRows(t), who) {
				t.Errorf("%s: the refused INSERT is in the table", name)
			}
		}
		if !contains(f.pgRows(t), "curl-svc") || !contains(f.pgRows(t), "curl-both") {
			t.Error("the certificate users' inserts are not in the table")
		}
		f.auditHas(t, map[string]any{"protocol": "http", "stage": "tls", "reason": "unknown_ca", "subject": "CN=svc,O=Floe services"})
		f.auditHas(t, map[string]any{"protocol": "http", "stage": "tls", "reason": "expired", "subject": "CN=svc,O=Floe services"})
		f.auditHas(t, map[string]any{"protocol": "http", "user": "both", "reason": "certificate_required"})
	})

	t.Run("Flight SQL", func(t *testing.T) {
		run := func(cert, sql string) error {
			cl, err := flightsql.NewClient(f.g.flight, nil, nil, grpc.WithTransportCredentials(credentials.NewTLS(f.clientTLS(t, cert))))
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			ctx = metadata.AppendToOutgoingContext(ctx, "x-floe-database", "app")
			info, err := cl.Execute(ctx, sql)
			if err != nil {
				return err
			}
			rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
			if err != nil {
				return err
			}
			defer rdr.Release()
			for rdr.Next() {
			}
			return rdr.Err()
		}
		if err := run("svc", "INSERT INTO floe_t_mtls VALUES ('flight-svc')"); err != nil {
			t.Fatalf("certificate call: %v", err)
		}
		for name, cert := range map[string]string{"wrong CA": "wrongca", "expired": "expired", "unmatched subject": "intruder", "no certificate": ""} {
			who := "flight-" + strings.ReplaceAll(name, " ", "-")
			if err := run(cert, "INSERT INTO floe_t_mtls VALUES ('"+who+"')"); err == nil {
				t.Errorf("%s: accepted", name)
			}
			if contains(f.pgRows(t), who) {
				t.Errorf("%s: the refused INSERT is in the table", name)
			}
		}
		if !contains(f.pgRows(t), "flight-svc") {
			t.Error("the certificate user's INSERT is not in the table")
		}
		f.auditHas(t, map[string]any{"protocol": "flightsql", "stage": "tls", "reason": "unknown_ca", "subject": "CN=svc,O=Floe services"})
		f.auditHas(t, map[string]any{"protocol": "flightsql", "stage": "tls", "reason": "expired", "subject": "CN=svc,O=Floe services"})
	})

	// Last: revoking a certificate by rewriting the CRL, without a
	// restart, refuses it on every listener.
	t.Run("revoked", func(t *testing.T) {
		if err := f.pgInsert("svc", "", "revoked", "before-revocation"); err != nil {
			t.Fatalf("not yet revoked: %v", err)
		}
		tmp := f.crlPath + ".new"
		certtest.WriteFile(t, tmp, f.ca.CRL(t, 2, f.leaves["revoked"].Cert))
		if err := os.Rename(tmp, f.crlPath); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := pgx.Connect(ctx, f.pgDSN("svc", "", "revoked"))
			if err == nil {
				c.Close(ctx)
				return errors.New("the revoked certificate still logs in")
			}
			return nil
		})
		if err := f.pgInsert("svc", "", "revoked", "after-revocation"); err == nil || !strings.Contains(err.Error(), "bad certificate") {
			t.Errorf("revoked certificate: %v", err)
		}
		rows := f.pgRows(t)
		if !contains(rows, "before-revocation") || contains(rows, "after-revocation") {
			t.Errorf("rows %v", rows)
		}
		f.auditHas(t, map[string]any{"reason": "revoked", "stage": "tls", "subject": "CN=svc,O=Floe services", "protocol": "postgres"})
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: f.clientTLS(t, "revoked")}, Timeout: 15 * time.Second}
		resp, err := cl.Post("https://"+f.g.http+"/v1/query", "application/json", bytes.NewReader([]byte(`{"database":"app","sql":"INSERT INTO floe_t_mtls VALUES ('http-after-revocation')"}`)))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Errorf("HTTP with a revoked certificate: %d %s", resp.StatusCode, b)
		}
		if _, err := f.g.mydb(t, "svc", "", "shop", map[string]string{"tls": registerTLS(t, "floe_t_mtls_revoked", f.clientTLS(t, "revoked"))}).Exec("INSERT INTO floe_t_mtls VALUES ('my-after-revocation')"); err == nil {
			t.Error("MySQL with a revoked certificate logged in")
		}
		if contains(f.pgRows(t), "http-after-revocation") || contains(f.myRows(t), "my-after-revocation") {
			t.Error("a revoked certificate's INSERT is in a table")
		}
		// The good certificate still works.
		if err := f.pgInsert("svc", "", "svc", "svc-after-revocation"); err != nil {
			t.Errorf("unrevoked certificate: %v", err)
		}
	})

	// A reload that requires certificates on the PostgreSQL listener
	// applies to the next handshakes; the other listeners keep optional.
	t.Run("reload", func(t *testing.T) {
		if err := f.pgInsert("alice", "alice-secret", "", "alice-before-reload"); err != nil {
			t.Fatalf("password user without a certificate: %v", err)
		}
		f.g.rewrite(t, strings.Replace(f.cfg, "  crl_check_interval: 100ms\n", "  crl_check_interval: 100ms\n  listeners: {postgres: {client_auth: require}}\n", 1))
		f.g.sig <- syscall.SIGHUP
		eventually(t, 10*time.Second, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := pgx.Connect(ctx, f.pgDSN("alice", "alice-secret", ""))
			if err == nil {
				c.Close(ctx)
				return errors.New("still connects without a certificate")
			}
			return nil
		})
		if err := f.pgInsert("alice", "alice-secret", "", "alice-after-reload"); err == nil || !strings.Contains(err.Error(), "certificate required") {
			t.Errorf("without a certificate after the reload: %v", err)
		}
		if contains(f.pgRows(t), "alice-after-reload") {
			t.Error("the refused INSERT is in the table")
		}
		if err := f.pgInsert("svc", "", "svc", "svc-after-reload"); err != nil {
			t.Errorf("certificate user after the reload: %v", err)
		}
		req, _ := http.NewRequest("POST", "https://"+f.g.http+"/v1/query", strings.NewReader(`{"database":"app","sql":"SELECT 1"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("alice", "alice-secret")
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: f.clientTLS(t, "")}, Timeout: 15 * time.Second}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatalf("HTTP keeps client_auth optional: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("HTTP with a password after the reload: %d", resp.StatusCode)
		}
	})

	if strings.Contains(f.g.log.String(), "both-secret") {
		t.Error("a password reached the log")
	}
}

func registerTLS(t *testing.T, name string, c *tls.Config) string {
	t.Helper()
	if err := mysql.RegisterTLSConfig(name, c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mysql.DeregisterTLSConfig(name) })
	return name
}
