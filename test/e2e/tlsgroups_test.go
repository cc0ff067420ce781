package e2e

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	afsql "github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// groupCapture records the key-exchange group of every TLS handshake a
// client completes with the gateway.
type groupCapture struct {
	mu  sync.Mutex
	got []tls.CurveID
}

// client is a client TLS configuration offering only offer (nil:
// crypto/tls's default, post-quantum first) that records the group.
func (c *groupCapture) client(offer []tls.CurveID) *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, CurvePreferences: offer, //nolint:gosec // a self-signed test certificate
		VerifyConnection: func(s tls.ConnectionState) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.got = append(c.got, s.CurveID)
			return nil
		}}
}

func (c *groupCapture) groups() []tls.CurveID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// pqListeners are the gateway's TLS listeners; each runs, as alice over
// TLS, a query reading the marker row, and returns what it read.
var pqListeners = []struct {
	name string
	read func(t *testing.T, g *gateway, cfg *tls.Config) (string, error)
}{
	{"postgres", func(t *testing.T, g *gateway, cfg *tls.Config) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cc, err := pgx.ParseConfig(strings.Replace(g.dsn("alice", "alice-secret", "app"), "sslmode=disable", "sslmode=require", 1))
		if err != nil {
			t.Fatal(err)
		}
		cc.TLSConfig, cc.Fallbacks = cfg, nil
		c, err := pgx.ConnectConfig(ctx, cc)
		if err != nil {
			return "", err
		}
		defer c.Close(ctx)
		var v string
		err = c.QueryRow(ctx, "SELECT v FROM floe_t_pq").Scan(&v)
		return v, err
	}},
	{"mysql", func(t *testing.T, g *gateway, cfg *tls.Config) (string, error) {
		mc := mysql.NewConfig()
		mc.User, mc.Passwd, mc.Net, mc.Addr, mc.DBName = "alice", "alice-secret", "tcp", g.my, "shop"
		mc.Timeout, mc.TLS = 10*time.Second, cfg
		conn, err := mysql.NewConnector(mc)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(conn)
		defer db.Close()
		var v string
		err = db.QueryRow("SELECT v FROM floe_t_pq").Scan(&v)
		return v, err
	}},
	{"http", func(t *testing.T, g *gateway, cfg *tls.Config) (string, error) {
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
		defer cl.CloseIdleConnections()
		req, err := http.NewRequest("POST", "https://"+g.http+"/v1/query?format=json", strings.NewReader(queryBody("app", "SELECT v FROM floe_t_pq")))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("alice", "alice-secret")
		resp, err := cl.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var rows []struct {
			V string `json:"v"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil || resp.StatusCode != 200 || len(rows) != 1 {
			return "", fmt.Errorf("status %d, rows %v, %v", resp.StatusCode, rows, err)
		}
		return rows[0].V, nil
	}},
	{"flightsql", func(t *testing.T, g *gateway, cfg *tls.Config) (string, error) {
		cl, err := afsql.NewClient(g.flight, nil, nil, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		actx, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "alice-secret")
		if err != nil {
			return "", err
		}
		actx = metadata.AppendToOutgoingContext(actx, "x-floe-database", "app")
		info, err := cl.Execute(actx, "SELECT v FROM floe_t_pq")
		if err != nil {
			return "", err
		}
		rdr, err := cl.DoGet(actx, info.Endpoint[0].Ticket)
		if err != nil {
			return "", err
		}
		defer rdr.Release()
		var rows [][]string
		for rdr.Next() {
			rows = append(rows, batchRows(rdr.RecordBatch())...)
		}
		if err := rdr.Err(); err != nil || len(rows) != 1 {
			return "", fmt.Errorf("rows %v, %v", rows, err)
		}
		return rows[0][0], nil
	}},
}

// pqGateway starts a gateway with TLS (and tls.groups when groups is not
// "") over a PostgreSQL database app and a MariaDB database shop, each
// holding a one-row table floe_t_pq.
func pqGateway(t *testing.T, groups string) *gateway {
	t.Helper()
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	ctx := context.Background()
	pgc, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pgc.Close(ctx)
	if _, err := pgc.Exec(ctx, "CREATE TABLE floe_t_pq (v text); INSERT INTO floe_t_pq VALUES ('pg-row')"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE floe_t_pq (v text)", "INSERT INTO floe_t_pq VALUES ('my-row')"} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	crt, key := selfSigned(t, t.TempDir())
	tlsYAML := fmt.Sprintf("tls:\n  cert: %s\n  key: %s\n", crt, key)
	if groups != "" {
		tlsYAML += "  groups: " + groups + "\n"
	}
	return start(t, tlsYAML+fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 2}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 2}}
users:
  - {name: alice, password: alice-secret}
`, pgDSN, myDSN))
}

func wantRow(listener string) string {
	if listener == "mysql" {
		return "my-row"
	}
	return "pg-row"
}

// TestTLSGroupsDefaultPostQuantum: with no tls.groups, a client offering
// crypto/tls's default gets X25519MLKEM768 on every listener, and a
// client offering only X25519 still gets in (classical fallback).
func TestTLSGroupsDefaultPostQuantum(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	g := pqGateway(t, "")
	for _, l := range pqListeners {
		t.Run(l.name, func(t *testing.T) {
			for _, tc := range []struct {
				offer []tls.CurveID
				want  tls.CurveID
			}{
				{nil, tls.X25519MLKEM768},
				{[]tls.CurveID{tls.X25519MLKEM768}, tls.X25519MLKEM768},
				{[]tls.CurveID{tls.X25519}, tls.X25519},
			} {
				var c groupCapture
				v, err := l.read(t, g, c.client(tc.offer))
				if err != nil || v != wantRow(l.name) {
					t.Fatalf("offering %v: read %q, %v", tc.offer, v, err)
				}
				if got := c.groups(); len(got) == 0 || slices.ContainsFunc(got, func(id tls.CurveID) bool { return id != tc.want }) {
					t.Fatalf("offering %v: negotiated %v, want %v", tc.offer, got, tc.want)
				}
			}
		})
	}
	// The admin listener has no TLS: it is plain HTTP on loopback.
	if _, err := tls.Dial("tcp", g.admin, (&groupCapture{}).client(nil)); err == nil {
		t.Error("the admin listener answered TLS")
	}
}

// TestTLSGroupsPinned: with tls.groups [X25519] every listener
// negotiates X25519 with a default client, and a client offering only
// X25519MLKEM768 is refused before it can log in: its query never runs.
func TestTLSGroupsPinned(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	g := pqGateway(t, "[X25519]")
	for _, l := range pqListeners {
		t.Run(l.name, func(t *testing.T) {
			var c groupCapture
			v, err := l.read(t, g, c.client(nil))
			if err != nil || v != wantRow(l.name) {
				t.Fatalf("default client: read %q, %v", v, err)
			}
			if got := c.groups(); len(got) == 0 || slices.ContainsFunc(got, func(id tls.CurveID) bool { return id != tls.X25519 }) {
				t.Fatalf("default client negotiated %v, want X25519", got)
			}
			var pq groupCapture
			v, err = l.read(t, g, pq.client([]tls.CurveID{tls.X25519MLKEM768}))
			if err == nil || v != "" {
				t.Fatalf("a client offering only X25519MLKEM768 read %q (err %v)", v, err)
			}
			if got := pq.groups(); len(got) != 0 {
				t.Fatalf("a client offering only X25519MLKEM768 completed a handshake: %v", got)
			}
		})
	}
}
