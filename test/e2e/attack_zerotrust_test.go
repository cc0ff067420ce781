package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/tlsauth/certtest"
)

// Attacks on the zero-trust features by a client holding some valid
// credential. Each checks what reached the database.

// An OpenID Connect token whose username claim is a configured user's
// name, in its exact spelling (data APIs) or in another case (wire, where
// the exact name is a configured user and never takes a token), must not
// stand for that user: network rules naming alice let only alice in from
// the loopback network, and a token of the issuer for "alice" or "ALICE"
// with the writers group must write nothing.
func TestAttackZeroTrustTokenNamedLikeUser(t *testing.T) {
	s := startSSOWire(t, "close", `network:
  default: deny
  rules:
    - {action: allow, cidrs: ["127.0.0.0/8", "::1/128"], users: [alice]}`)
	ctx := context.Background()
	hour := time.Now().Add(time.Hour)

	// The rule lets the configured alice in: the setup can tell.
	a, err := s.pgConnect(ctx, "alice", "alice-secret", "require")
	if err != nil {
		t.Fatalf("alice with her password: %v", err)
	}
	var n int
	if err := a.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil || n != 1 {
		t.Fatalf("alice reads %d rows, %v", n, err)
	}
	a.Close(ctx)

	t.Run("data API token named alice", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "https://"+s.g.http+"/v1/query?format=json",
			strings.NewReader(queryBody("app", "INSERT INTO items VALUES (91, 'token named alice')")))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.token(t, "alice", hour, "writers"))
		ans := doInsecure(t, req)
		if got := s.pgCount(t, "id = 91"); got != 0 {
			t.Fatalf("a token named like the configured user alice wrote %d rows (HTTP %d %s)", got, ans.status, ans.body)
		}
		if ans.status != 401 {
			t.Errorf("status %d %s, want 401", ans.status, ans.body)
		}
	})

	t.Run("PostgreSQL token named ALICE", func(t *testing.T) {
		c, err := s.pgConnect(ctx, "ALICE", s.token(t, "ALICE", hour, "writers"), "require")
		if err == nil {
			_, _ = c.Exec(ctx, "INSERT INTO items VALUES (92, 'token named ALICE')")
			c.Close(ctx)
		}
		if got := s.pgCount(t, "id = 92"); got != 0 {
			t.Fatalf("a token named ALICE wrote %d rows", got)
		}
		if err == nil {
			t.Fatal("a token named ALICE logged in")
		}
	})

	t.Run("MySQL token named Alice", func(t *testing.T) {
		db := s.myOpen(t, "Alice", s.token(t, "Alice", hour, "writers"), true)
		_, err := db.Exec("INSERT INTO items VALUES (93, 'token named Alice')")
		if got := s.myCount(t, "id = 93"); got != 0 {
			t.Fatalf("a token named Alice wrote %d rows", got)
		}
		if err == nil {
			t.Fatal("a token named Alice ran a statement")
		}
	})
}

// doInsecure is do over TLS to the gateway's self-signed certificate.
func doInsecure(t *testing.T, req *http.Request) httpAnswer {
	t.Helper()
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 20 * time.Second} //nolint:gosec // test certificate
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

// An administrator who edits the shared store must not read the
// gateway's secrets through a reference placed outside a DSN's password:
// a database whose DSN sets search_path from ${env:…} would let SHOW
// search_path print the value. Only the password may be a reference; the
// refused database is never served.
func TestAttackZeroTrustStoreDSNReference(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	appDSN := testDB(t)
	const secret = "floe-t-server-secret-7f3a"
	t.Setenv("FLOE_T_ATTACK_SECRET", secret)
	g := start(t, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q}
users:
  - {name: root, password: root-secret, roles: [dba]}
roles:
  - name: dba
    grants:
      - {database: "*", actions: [all]}
store: {kind: postgres, dsn: %q}
`, appDSN, testDB(t)))
	ctx := context.Background()
	sep := "?"
	if strings.Contains(appDSN, "?") {
		sep = "&"
	}
	for name, dsn := range map[string]string{
		"leak_query":   appDSN + sep + "options=-c%20search_path%3D${env:FLOE_T_ATTACK_SECRET}",
		"leak_dbname":  strings.Replace(appDSN, "@", "@${env:FLOE_T_ATTACK_SECRET}.invalid", 1),
		"leak_keyword": "host=127.0.0.1 user=postgres dbname=test options='-c search_path=${env:FLOE_T_ATTACK_SECRET}'",
	} {
		code := g.adminSend(t, "PUT", "/api/v1/databases/"+name, map[string]any{"kind": "postgres", "primary": dsn})
		c, err := pgx.Connect(ctx, g.dsn("root", "root-secret", name))
		if err == nil {
			var sp string
			_ = c.QueryRow(ctx, "SHOW search_path").Scan(&sp)
			c.Close(ctx)
			if strings.Contains(sp, secret) {
				t.Errorf("%s: the store's DSN printed the server's secret through search_path", name)
			}
			t.Errorf("%s: a database whose DSN holds a reference outside its password is served (PUT %d)", name, code)
		}
		if strings.Contains(g.log.String(), secret) {
			t.Errorf("%s: the gateway log holds the secret", name)
		}
		if code != 422 {
			t.Errorf("%s: PUT = %d, want 422", name, code)
		}
	}
	// A reference as the password is what the store is for.
	pwDSN := strings.Replace(appDSN, "postgres@", "postgres:${env:FLOE_T_ATTACK_SECRET}@", 1)
	if code := g.adminSend(t, "PUT", "/api/v1/databases/pw_ref", map[string]any{"kind": "postgres", "primary": pwDSN}); code != 200 {
		t.Fatalf("PUT with a password reference: %d", code)
	}
	if code := g.adminSend(t, "DELETE", "/api/v1/databases/pw_ref", nil); code != 200 {
		t.Errorf("DELETE: %d", code)
	}
}

// A certificate-only user whom the network rules refuse must get
// nothing from the data API by presenting its certificate without
// credentials: not the list of its databases (GET /v1/databases runs no
// statement, so only the login stage can refuse it), not a row written.
func TestAttackZeroTrustCertificateLoginNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	f := newMTLSFixture(t)
	f.g.rewrite(t, f.cfg+`network:
  default: allow
  rules:
    - {action: deny, cidrs: ["127.0.0.0/8", "::1/128"], users: [svc]}
`)
	f.g.sig <- syscall.SIGHUP
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: f.clientTLS(t, "svc")}, Timeout: 20 * time.Second}
	eventually(t, 10*time.Second, func() error {
		// The reload is in force once svc's statements are refused.
		resp, err := cl.Post("https://"+f.g.http+"/v1/query", "application/json",
			strings.NewReader(`{"database":"app","sql":"SELECT count(*) FROM floe_t_mtls"}`))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			return fmt.Errorf("query status %d", resp.StatusCode)
		}
		return nil
	})
	resp, err := cl.Post("https://"+f.g.http+"/v1/query", "application/json",
		strings.NewReader(`{"database":"app","sql":"INSERT INTO floe_t_mtls VALUES ('svc-from-refused-network')"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rows := f.pgRows(t); contains(rows, "svc-from-refused-network") {
		t.Fatalf("a certificate user from a refused network wrote: %v", rows)
	}
	resp, err = cl.Get("https://" + f.g.http + "/v1/databases")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || strings.Contains(string(b), `"app"`) {
		t.Fatalf("GET /v1/databases with svc's certificate from a refused network: %d %s", resp.StatusCode, b)
	}
}

// With on_expiry transaction_end, a token session that keeps its
// transaction busy must not outlive its token by more than
// oidc.wire.expiry_grace: the session is ended, its transaction rolled
// back, and what it wrote after its token expired is not in the table.
func TestAttackZeroTrustTransactionPastExpiry(t *testing.T) {
	s := startSSOWire(t, "transaction_end, expiry_grace: 1s")
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
	// The transaction never ends on its own: a statement every 100ms.
	var ended error
	for i := 0; ended == nil && i < 300; i++ {
		_, ended = tx.Exec(ctx, "INSERT INTO items VALUES ($1, 'held open past expiry')", 1000+i)
		time.Sleep(100 * time.Millisecond)
	}
	if ended == nil {
		_ = tx.Commit(ctx)
		t.Fatalf("the session ran statements for 30s past its token's expiry (%d rows written)", s.pgCount(t, "id >= 1000"))
	}
	if got := s.pgCount(t, "id >= 1000"); got != 0 {
		t.Fatalf("%d rows of the transaction held past expiry are in the table", got)
	}
	if sqlstate(ended) != "28000" {
		t.Errorf("the session ended with %v, want FATAL 28000", ended)
	}

	// MySQL likewise.
	exp = time.Now().Add(3 * time.Second)
	db := s.myOpen(t, "wendy", s.token(t, "wendy", exp, "writers"), true)
	db.SetMaxOpenConns(1)
	mtx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ended = nil
	for i := 0; ended == nil && i < 300; i++ {
		_, ended = mtx.Exec("INSERT INTO items VALUES (?, 'held open past expiry')", 1000+i)
		time.Sleep(100 * time.Millisecond)
	}
	if ended == nil {
		_ = mtx.Commit()
		t.Fatalf("MySQL: the session ran statements for 30s past its token's expiry (%d rows written)", s.myCount(t, "id >= 1000"))
	}
	_ = mtx.Rollback()
	if got := s.myCount(t, "id >= 1000"); got != 0 {
		t.Fatalf("MySQL: %d rows of the transaction held past expiry are in the table", got)
	}
}

// A data-API connection kept alive must not outlast the revocation of
// its client certificate: the next request on the same TLS connection is
// refused and writes nothing.
func TestAttackZeroTrustRevokedKeepAlive(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	f := newMTLSFixture(t)
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: f.clientTLS(t, "revoked"), MaxIdleConnsPerHost: 1}, Timeout: 15 * time.Second}
	post := func(who string) (status int, reused bool) {
		t.Helper()
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
		req, _ := http.NewRequest("POST", "https://"+f.g.http+"/v1/query",
			strings.NewReader(`{"database":"app","sql":"INSERT INTO floe_t_mtls VALUES ('`+who+`')"}`))
		req.Header.Set("Content-Type", "application/json")
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, reused
	}
	if st, _ := post("keepalive-before"); st != 200 {
		t.Fatalf("before revocation: %d", st)
	}
	tmp := f.crlPath + ".new"
	certtest.WriteFile(t, tmp, f.ca.CRL(t, 2, f.leaves["revoked"].Cert))
	if err := os.Rename(tmp, f.crlPath); err != nil {
		t.Fatal(err)
	}
	// The new list is in force once a new connection is refused.
	fresh := &http.Client{Transport: &http.Transport{TLSClientConfig: f.clientTLS(t, "revoked"), DisableKeepAlives: true}, Timeout: 15 * time.Second}
	eventually(t, 10*time.Second, func() error {
		resp, err := fresh.Get("https://" + f.g.http + "/v1/databases")
		if err == nil {
			resp.Body.Close()
			return errors.New("a new connection with the revoked certificate is accepted")
		}
		return nil
	})
	st, reused := post("keepalive-after")
	if !reused {
		t.Fatal("the request did not reuse the connection opened before the revocation")
	}
	if rows := f.pgRows(t); contains(rows, "keepalive-after") || !contains(rows, "keepalive-before") {
		t.Fatalf("rows %v after a request on a connection whose certificate was revoked (status %d)", rows, st)
	}
	if st != 401 {
		t.Errorf("status %d, want 401", st)
	}
}

// TestAttackZeroTrustRevokedSession: a PostgreSQL or MySQL session that
// logged in with a client certificate does not outlive the certificate's
// revocation. Each holds an open transaction with a row inserted when
// the revocation list changes; the gateway ends both sessions, their
// rows are rolled back (not in the tables), the row committed before the
// revocation stays, and an audit record says why.
func TestAttackZeroTrustRevokedSession(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	f := newMTLSFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	pg, err := pgx.Connect(ctx, f.pgDSN("svc", "", "revoked"))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(context.Background())
	if _, err := pg.Exec(ctx, "INSERT INTO floe_t_mtls VALUES ('pg-before')"); err != nil {
		t.Fatal(err)
	}
	pgTx, err := pg.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pgTx.Exec(ctx, "INSERT INTO floe_t_mtls VALUES ('pg-in-tx')"); err != nil {
		t.Fatal(err)
	}

	db := f.g.mydb(t, "svc", "", "shop", map[string]string{"tls": registerTLS(t, "floe_t_revoked_session", f.clientTLS(t, "revoked"))})
	my, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer my.Close()
	if _, err := my.ExecContext(ctx, "INSERT INTO floe_t_mtls VALUES ('my-before')"); err != nil {
		t.Fatal(err)
	}
	myTx, err := my.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := myTx.ExecContext(ctx, "INSERT INTO floe_t_mtls VALUES ('my-in-tx')"); err != nil {
		t.Fatal(err)
	}

	tmp := f.crlPath + ".new"
	certtest.WriteFile(t, tmp, f.ca.CRL(t, 2, f.leaves["revoked"].Cert))
	if err := os.Rename(tmp, f.crlPath); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() error {
		if _, err := pgTx.Exec(ctx, "SELECT 1"); err == nil {
			return errors.New("the PostgreSQL session of a revoked certificate still runs statements")
		}
		return nil
	})
	eventually(t, 20*time.Second, func() error {
		if _, err := myTx.ExecContext(ctx, "SELECT 1"); err == nil {
			return errors.New("the MySQL session of a revoked certificate still runs statements")
		}
		return nil
	})
	if _, err := pgTx.Exec(ctx, "INSERT INTO floe_t_mtls VALUES ('pg-after')"); err == nil {
		t.Fatal("a PostgreSQL statement ran after the session was ended")
	}
	_ = myTx.Commit()
	eventually(t, 10*time.Second, func() error {
		pgRows, myRows := f.pgRows(t), f.myRows(t)
		switch {
		case !contains(pgRows, "pg-before") || contains(pgRows, "pg-in-tx") || contains(pgRows, "pg-after"):
			return fmt.Errorf("PostgreSQL rows %v", pgRows)
		case !contains(myRows, "my-before") || contains(myRows, "my-in-tx"):
			return fmt.Errorf("MySQL rows %v", myRows)
		}
		return nil
	})
	f.auditHas(t, map[string]any{"method": "certificate", "stage": "session", "reason": "revoked", "protocol": "postgres"})
	f.auditHas(t, map[string]any{"method": "certificate", "stage": "session", "reason": "revoked", "protocol": "mysql"})
}
