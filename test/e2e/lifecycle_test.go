package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func selfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certPath, keyPath = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	_ = os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return
}

func TestTLS(t *testing.T) {
	dsn := testDB(t)
	crt, key := selfSigned(t, t.TempDir())
	g := start(t, fmt.Sprintf("tls: {cert: %s, key: %s}\n", crt, key)+relayConfig(dsn, "transaction", 2, ""))
	ctx := context.Background()
	c, err := pgx.Connect(ctx, strings.Replace(g.dsn("alice", "alice-secret", "app"), "sslmode=disable", "sslmode=require", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Fatalf("connection is not TLS: %T", c.PgConn().Conn())
	}
	if err := c.QueryRow(ctx, "select 1").Scan(new(int)); err != nil {
		t.Fatal(err)
	}

	// Without TLS configured, sslmode=require is refused cleanly.
	g2 := start(t, relayConfig(dsn, "transaction", 2, ""))
	_, err = pgx.Connect(ctx, strings.Replace(g2.dsn("alice", "alice-secret", "app"), "sslmode=disable", "sslmode=require", 1))
	if err == nil || !strings.Contains(err.Error(), "refused") && !strings.Contains(err.Error(), "SSL") {
		t.Fatalf("want a refusal of SSL, got %v", err)
	}
	// GSSENCRequest is refused and the client falls back to plain.
	c2, err := pgx.Connect(ctx, g2.dsn("alice", "alice-secret", "app", "gssencmode=prefer"))
	if err == nil {
		c2.Close(ctx)
	}
}

func TestReloadKeepsClients(t *testing.T) {
	dsn := testDB(t)
	g := start(t, relayConfig(dsn, "transaction", 2, ""))
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "app")
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "create table r(a int)"); err != nil {
		t.Fatal(err)
	}
	// New config: bob's password changes, carol is added, the pool grows.
	g.rewrite(t, strings.Replace(relayConfig(dsn, "transaction", 3, ""), "bob-secret", "bob-new", 1)+"  - name: carol\n    password: carol-secret\n")
	g.sig <- syscall.SIGHUP
	eventually(t, 5*time.Second, func() error {
		cc, err := pgx.Connect(ctx, g.dsn("carol", "carol-secret", "app"))
		if err != nil {
			return fmt.Errorf("reload not applied: %w", err)
		}
		cc.Close(ctx)
		return nil
	})
	// The open transaction survived the reload.
	if _, err := tx.Exec(ctx, "insert into r values (1)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(ctx, g.dsn("bob", "bob-secret", "app")); sqlstate(err) != "28P01" {
		t.Fatalf("old password still accepted: %v", err)
	}
	// A broken config is rejected and the running one stays.
	g.rewrite(t, "databases: [{name: app, kind: nope}]\n")
	g.sig <- syscall.SIGHUP
	eventually(t, 5*time.Second, func() error {
		if !strings.Contains(g.log.String(), "reload failed") {
			return errors.New("no log line for the failed reload")
		}
		return nil
	})
	c3 := g.connect(t, "carol", "carol-secret", "app")
	if err := c3.QueryRow(ctx, "select count(*) from r").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
}

func TestGracefulShutdown(t *testing.T) {
	dsn := testDB(t)
	g := start(t, relayConfig(dsn, "transaction", 2, ""))
	ctx := context.Background()
	idle := g.connect(t, "bob", "bob-secret", "app")
	busy := g.connect(t, "alice", "alice-secret", "app")
	tx, err := busy.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "create table s(a int)"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + g.admin + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz before drain: %v %v", err, resp)
	}
	resp.Body.Close()
	g.sig <- syscall.SIGTERM

	// The idle client is told to go; the one in a transaction may finish it.
	eventually(t, 5*time.Second, func() error {
		if err := idle.QueryRow(ctx, "select 1").Scan(new(int)); err == nil {
			return errors.New("idle client still served after SIGTERM")
		}
		return nil
	})
	if _, err := tx.Exec(ctx, "insert into s values (1)"); err != nil {
		t.Fatalf("transaction cut short: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("commit during drain: %v", err)
	}
	select {
	case err := <-g.done:
		if err != nil {
			t.Fatal(err)
		}
		g.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not stop after the last transaction")
	}
	// New connections are refused once stopped.
	if _, err := net.DialTimeout("tcp", g.pg, time.Second); err == nil {
		t.Fatal("listener still open")
	}
	// The committed row is in the database.
	direct, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	var n int
	if err := direct.QueryRow(ctx, "select count(*) from s").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows: %v %d", err, n)
	}
}

func TestAdminEndpoints(t *testing.T) {
	g := start(t, "log: {level: debug}\n"+relayConfig(testDB(t), "transaction", 2, ""))
	c := g.connect(t, "alice", "alice-secret", "app", "default_query_exec_mode=simple_protocol")
	if err := c.QueryRow(context.Background(), "select 1").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := c.QueryRow(context.Background(), "select 'topsecret-literal' where 42 = 42").Scan(&s); err != nil {
		t.Fatal(err)
	}
	// Statements are logged at debug level with their literals masked.
	if log := g.log.String(); strings.Contains(log, "topsecret-literal") || !strings.Contains(log, "select ? where ? = ?") {
		t.Fatalf("log does not mask literals:\n%s", log)
	}
	for path, want := range map[string]string{
		"/healthz": `"ok"`,
		"/readyz":  `"ready"`,
		"/metrics": `floe_queries_total{database="app",outcome="ok",user="alice"}`,
	} {
		resp, err := http.Get("http://" + g.admin + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if strings.Contains(string(body), "alice-secret") {
			t.Fatalf("%s leaks a password", path)
		}
		if strings.Contains(g.log.String(), "alice-secret") {
			t.Fatal("the log holds a password")
		}
	}
	c.Close(context.Background())
	eventually(t, 5*time.Second, func() error {
		resp, err := http.Get("http://" + g.admin + "/metrics")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, metric := range []string{"floe_pool_connections", "floe_query_duration_seconds_bucket", "floe_client_connections_total",
			`floe_bytes_total{database="app",direction="server_to_client"}`, `floe_client_connections{protocol="postgres",state="authenticated"}`} {
			if !strings.Contains(string(body), metric) {
				return fmt.Errorf("metric %s missing", metric)
			}
		}
		return nil
	})
}

// With reload.watch, writing the file is enough: a user added to it can
// log in without a signal, and a broken file leaves the running
// configuration in force.
func TestReloadOnFileChange(t *testing.T) {
	dsn := testDB(t)
	users := relayConfig(dsn, "transaction", 4, "") // ends with the users list
	base := users + "reload: {watch: true}\n"
	g := start(t, base)
	ctx := context.Background()
	if _, err := pgx.Connect(ctx, g.dsn("carol", "carol-secret", "app")); err == nil {
		t.Fatal("carol logged in before she was added")
	}
	g.rewrite(t, users+"  - {name: carol, password: carol-secret}\nreload: {watch: true}\n")
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		eventually(t, 10*time.Second, func() error {
			if !ok() {
				return errors.New(what + ": not yet")
			}
			return nil
		})
	}
	waitFor("the added user logs in", func() bool {
		c, err := pgx.Connect(ctx, g.dsn("carol", "carol-secret", "app"))
		if err == nil {
			c.Close(ctx)
		}
		return err == nil
	})
	g.rewrite(t, base+"colour: red\n")
	waitFor("the broken file is refused", func() bool { return strings.Contains(g.log.String(), "reload failed") })
	c, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "app"))
	if err != nil {
		t.Fatalf("after a broken file: %v", err)
	}
	c.Close(ctx)
}
