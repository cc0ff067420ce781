package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// hello is what a TLS endpoint saw of one client: the groups its
// ClientHello offered, in order, and (PostgreSQL) the application_name
// of the startup message sent over TLS.
type hello struct {
	groups []tls.CurveID
	app    string
}

// helloRecorder is a backend that only shakes hands: it answers
// PostgreSQL's SSLRequest with 'S' (or sends a MySQL greeting with the
// SSL capability), completes the TLS handshake, records the client's
// offer and hangs up. No real server here can do this: the local ones'
// OpenSSL has no ML-KEM, so what Floe offers is only visible here.
type helloRecorder struct {
	ln  net.Listener
	mu  sync.Mutex
	got []hello
}

func startHelloRecorder(t *testing.T, mysqlProto bool) *helloRecorder {
	t.Helper()
	crt, key := selfSigned(t, t.TempDir())
	cert, err := tls.LoadX509KeyPair(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &helloRecorder{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
				var offered []tls.CurveID
				cfg := &tls.Config{Certificates: []tls.Certificate{cert}, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
					offered = slices.Clone(h.SupportedCurves)
					return nil, nil
				}}
				var ok bool
				if mysqlProto {
					ok = mysqlSSLRequest(nc)
				} else {
					ok = pgSSLRequest(nc)
				}
				if !ok {
					return
				}
				tc := tls.Server(nc, cfg)
				if err := tc.Handshake(); err != nil {
					return
				}
				h := hello{groups: offered}
				if mysqlProto {
					h.app = mysqlClientKind(tc)
				} else {
					if sm, err := pgproto3.NewBackend(tc, tc).ReceiveStartupMessage(); err == nil {
						if m, ok := sm.(*pgproto3.StartupMessage); ok {
							h.app = m.Parameters["application_name"]
						}
					}
				}
				r.mu.Lock()
				r.got = append(r.got, h)
				r.mu.Unlock()
			}()
		}
	}()
	return r
}

func (r *helloRecorder) hellos() []hello {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// mysqlClientKind tells the MySQL relay ("relay": it sends the
// program_name attribute floe) from the data API (its DSN's database
// "db") and the health checks (no database) by the handshake response
// sent over TLS.
func mysqlClientKind(tc *tls.Conn) string {
	var hdr [4]byte
	if _, err := io.ReadFull(tc, hdr[:]); err != nil {
		return ""
	}
	body := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
	if _, err := io.ReadFull(tc, body); err != nil {
		return ""
	}
	switch {
	case bytes.Contains(body, []byte("program_name")):
		return "relay"
	case bytes.Contains(body, []byte("db\x00")):
		return "floe-data"
	}
	return "floe-health"
}

// pgSSLRequest reads PostgreSQL's SSLRequest and accepts it.
func pgSSLRequest(nc net.Conn) bool {
	var b [8]byte
	if _, err := io.ReadFull(nc, b[:]); err != nil || binary.BigEndian.Uint32(b[4:]) != 80877103 {
		return false
	}
	_, err := nc.Write([]byte{'S'})
	return err == nil
}

// mysqlSSLRequest sends a MySQL 8 greeting offering SSL and reads the
// client's SSL request (a handshake response cut after the collation);
// a client that answers without CLIENT_SSL is not recorded.
func mysqlSSLRequest(nc net.Conn) bool {
	const (
		clientSSL = 0x800
		caps      = 0x1 | 0x2 | 0x4 | 0x8 | 0x80 | 0x200 | clientSSL | 0x2000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x100000 | 0x200000 | 0x1000000
	)
	p := []byte{10}
	p = append(p, "8.0.40\x00"...)
	p = binary.LittleEndian.AppendUint32(p, 7)
	p = append(p, "abcdefgh\x00"...)
	p = binary.LittleEndian.AppendUint16(p, caps&0xffff)
	p = append(p, 45)   // utf8mb4_general_ci
	p = append(p, 2, 0) // autocommit
	p = binary.LittleEndian.AppendUint16(p, caps>>16)
	p = append(p, 21)
	p = append(p, make([]byte, 10)...)
	p = append(p, "ijklmnopqrst\x00"...)
	p = append(p, "mysql_native_password\x00"...)
	hdr := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 0}
	if _, err := nc.Write(append(hdr, p...)); err != nil {
		return false
	}
	if _, err := io.ReadFull(nc, hdr); err != nil {
		return false
	}
	body := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
	if _, err := io.ReadFull(nc, body); err != nil || len(body) < 4 {
		return false
	}
	return binary.LittleEndian.Uint32(body)&clientSSL != 0
}

// TestTLSGroupsBackendOffer: backend connections made over TLS (the
// relays, the health checks and the data API's sources, on PostgreSQL
// and MySQL alike) offer X25519MLKEM768 first by default, and exactly
// the tls.groups set when it is pinned.
func TestTLSGroupsBackendOffer(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	crt, key := selfSigned(t, t.TempDir())
	for _, tc := range []struct {
		name   string
		groups string
		check  func(offer []tls.CurveID) error
	}{
		{"default", "", func(offer []tls.CurveID) error {
			if len(offer) == 0 || offer[0] != tls.X25519MLKEM768 || !slices.Contains(offer, tls.X25519) {
				return fmt.Errorf("want X25519MLKEM768 first and X25519 as a fallback, got %v", offer)
			}
			return nil
		}},
		{"pinned", "[X25519, P256]", func(offer []tls.CurveID) error {
			got := slices.Sorted(slices.Values(offer))
			if want := []tls.CurveID{tls.CurveP256, tls.X25519}; !slices.Equal(got, want) {
				return fmt.Errorf("want exactly %v, got %v", want, offer)
			}
			return nil
		}},
		{"pinned post-quantum", "[X25519MLKEM768]", func(offer []tls.CurveID) error {
			if !slices.Equal(offer, []tls.CurveID{tls.X25519MLKEM768}) {
				return fmt.Errorf("want exactly [X25519MLKEM768], got %v", offer)
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg, my := startHelloRecorder(t, false), startHelloRecorder(t, true)
			tlsYAML := fmt.Sprintf("tls:\n  cert: %s\n  key: %s\n", crt, key)
			if tc.groups != "" {
				tlsYAML += "  groups: " + tc.groups + "\n"
			}
			g := start(t, tlsYAML+fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: "postgres://floe@%s/db?sslmode=require", pool: {mode: transaction, size: 1, connect_timeout: 2s}}
  - {name: shop, kind: mysql, primary: "mysql://floe@%s/db?tls=skip-verify", pool: {mode: transaction, size: 1, connect_timeout: 2s}}
users:
  - {name: alice, password: alice-secret}
`, pg.ln.Addr(), my.ln.Addr()))
			// A client's statement makes each relay dial its backend; the
			// backend hangs up after the handshake, so the statement fails.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if c, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "app")); err == nil {
				if err := c.QueryRow(ctx, "SELECT 1").Scan(new(int)); err == nil {
					t.Error("a statement ran on a backend that only shakes hands")
				}
				c.Close(ctx)
			}
			if err := g.mydb(t, "alice", "alice-secret", "shop", nil).QueryRowContext(ctx, "SELECT 1").Scan(new(int)); err == nil {
				t.Error("a MySQL session reached a backend that only shakes hands")
			}
			// And a data-API query makes its own PostgreSQL source dial.
			cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 20 * time.Second} //nolint:gosec // test certificate
			defer cl.CloseIdleConnections()
			for _, db := range []string{"app", "shop"} {
				req, err := http.NewRequest("POST", "https://"+g.http+"/v1/query", strings.NewReader(queryBody(db, "SELECT 1")))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth("alice", "alice-secret")
				if resp, err := cl.Do(req); err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						t.Errorf("a data-API query on %s ran on a backend that only shakes hands", db)
					}
				}
			}
			eventually(t, 10*time.Second, func() error {
				relay := slices.ContainsFunc(pg.hellos(), func(h hello) bool { return h.app != "floe-health" && h.app != "floe-data" })
				health := slices.ContainsFunc(pg.hellos(), func(h hello) bool { return h.app == "floe-health" })
				data := slices.ContainsFunc(pg.hellos(), func(h hello) bool { return h.app == "floe-data" })
				kinds := func(hs []hello) (relay, health, data bool) {
					for _, h := range hs {
						switch h.app {
						case "floe-health":
							health = true
						case "floe-data":
							data = true
						default:
							relay = true
						}
					}
					return
				}
				myRelay, myHealth, myData := kinds(my.hellos())
				if !relay || !health || !data || !myRelay || !myHealth || !myData {
					return fmt.Errorf("handshakes seen: postgres %v, mysql %v", pg.hellos(), my.hellos())
				}
				return nil
			})
			for _, h := range append(pg.hellos(), my.hellos()...) {
				if err := tc.check(h.groups); err != nil {
					t.Errorf("connection %q: %v", h.app, err)
				}
			}
		})
	}
}

// TestTLSBackendRealPostgres: a backend DSN with sslmode=require works
// against the local PostgreSQL when it has ssl on (its OpenSSL has no
// ML-KEM: the key exchange falls back to a classical group).
func TestTLSBackendRealPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	dsn := testDB(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgAdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var ssl string
	if err := admin.QueryRow(ctx, "SHOW ssl").Scan(&ssl); err != nil {
		t.Fatal(err)
	}
	if ssl != "on" {
		t.Skip("the local PostgreSQL has ssl off: no TLS backend to test against")
	}
	var curve string
	if err := admin.QueryRow(ctx, "SHOW ssl_ecdh_curve").Scan(&curve); err != nil {
		t.Fatal(err)
	}
	tlsDSN := strings.Replace(dsn, "sslmode=disable", "sslmode=require", 1)
	crt, key := selfSigned(t, t.TempDir())
	for _, groups := range []string{"", "  groups: [X25519MLKEM768, P256]\n"} {
		g := start(t, fmt.Sprintf("tls:\n  cert: %s\n  key: %s\n%s", crt, key, groups)+relayConfig(tlsDSN, "transaction", 2, ""))
		c := g.connect(t, "alice", "alice-secret", "app")
		var onTLS bool
		if err := c.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&onTLS); err != nil {
			t.Fatal(err)
		}
		if !onTLS {
			t.Errorf("groups %q: the backend connection is not TLS", groups)
		}
	}
	// A pinned set the server does not share is enforced: with
	// ssl_ecdh_curve prime256v1 (PostgreSQL's default) and no P256 in
	// tls.groups, no backend connection is made.
	if curve != "prime256v1" {
		t.Logf("ssl_ecdh_curve is %s: the refusal of a set without P256 is not checked", curve)
		return
	}
	g := start(t, fmt.Sprintf("tls:\n  cert: %s\n  key: %s\n  groups: [X25519MLKEM768, X25519]\n", crt, key)+relayConfig(tlsDSN, "transaction", 2, ""))
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(cctx, g.dsn("alice", "alice-secret", "app"))
	if err == nil {
		defer c.Close(ctx)
		var onTLS bool
		if err := c.QueryRow(cctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&onTLS); err == nil {
			t.Fatalf("a statement ran on the backend (ssl %v) although no pinned group is the server's", onTLS)
		}
	}
	if !strings.Contains(g.log.String(), "handshake failure") {
		t.Errorf("want the backend handshake refused, log:\n%s", g.log.String())
	}
}

// TestTLSGroupsReload: a reload that pins tls.groups applies to the
// PostgreSQL listener's next handshakes and to backend connections
// dialled afterwards.
func TestTLSGroupsReload(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	pg := startHelloRecorder(t, false)
	crt, key := selfSigned(t, t.TempDir())
	conf := func(groups string) string {
		return fmt.Sprintf("tls:\n  cert: %s\n  key: %s\n%s", crt, key, groups) + fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: "postgres://floe@%s/db?sslmode=require", pool: {mode: transaction, size: 1, connect_timeout: 2s}}
users:
  - {name: alice, password: alice-secret}
`, pg.ln.Addr())
	}
	g := start(t, conf(""))
	// negotiated logs in over TLS offering crypto/tls's default and
	// returns the group the listener chose; the login makes the relay
	// dial the backend.
	negotiated := func() tls.CurveID {
		var c groupCapture
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cc, err := pgx.ParseConfig(strings.Replace(g.dsn("alice", "alice-secret", "app"), "sslmode=disable", "sslmode=require", 1))
		if err != nil {
			t.Fatal(err)
		}
		cc.TLSConfig, cc.Fallbacks = c.client(nil), nil
		// The login fails after the handshakes: the backend only shakes hands.
		if conn, err := pgx.ConnectConfig(ctx, cc); err == nil {
			_ = conn.QueryRow(ctx, "SELECT 1").Scan(new(int))
			conn.Close(ctx)
		}
		got := c.groups()
		if len(got) != 1 {
			t.Fatalf("handshakes %v", got)
		}
		return got[0]
	}
	relayOffers := func() [][]tls.CurveID {
		var out [][]tls.CurveID
		for _, h := range pg.hellos() {
			if h.app != "floe-health" {
				out = append(out, h.groups)
			}
		}
		return out
	}
	if got := negotiated(); got != tls.X25519MLKEM768 {
		t.Fatalf("before the reload: %v", got)
	}
	before := len(relayOffers())
	if before == 0 || relayOffers()[0][0] != tls.X25519MLKEM768 {
		t.Fatalf("before the reload the relay offered %v", relayOffers())
	}
	g.rewrite(t, conf("  groups: [X25519]\n"))
	g.sig <- syscall.SIGHUP
	eventually(t, 10*time.Second, func() error {
		if got := negotiated(); got != tls.X25519 {
			return fmt.Errorf("negotiated %v", got)
		}
		return nil
	})
	after := relayOffers()[before:]
	if len(after) == 0 {
		t.Fatal("no backend connection after the reload")
	}
	if last := after[len(after)-1]; !slices.Equal(last, []tls.CurveID{tls.X25519}) {
		t.Fatalf("after the reload the relay offered %v", last)
	}
}
