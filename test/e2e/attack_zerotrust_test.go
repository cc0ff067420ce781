package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
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
