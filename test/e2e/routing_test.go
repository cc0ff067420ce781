package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/testcluster"
)

type backendStatus struct {
	Database, Name, Role string
	Healthy              bool
	LagSeconds           float64 `json:"lag_seconds"`
	LSN                  uint64
}

func (g *gateway) backends(t *testing.T) []backendStatus {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/api/v1/backends")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Backends []backendStatus }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Backends
}

// waitBackends polls the admin API until want (name → "up/role" or
// "down") holds, for up to 10 s.
func (g *gateway) waitBackends(t *testing.T, want map[string]string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := map[string]string{}
		for _, b := range g.backends(t) {
			got[b.Name] = "down"
			if b.Healthy {
				got[b.Name] = "up/" + b.Role
			}
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backends %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Health checks find the primary and the replica, see a killed replica
// go down and come back, and see a promoted replica as the primary; the
// admin API and the metrics show it.
func TestHealthChecksTopology(t *testing.T) {
	cl := testcluster.StartPG(t, 1)
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    replicas:
      - {dsn: %q, weight: 2, tags: {region: eu}}
    health: {interval: 200ms, fail_after: 2, rise_after: 2}
users:
  - {name: alice, password: alice-secret}
`, cl.Primary.DSN(), cl.Replicas[0].DSN()))
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "up/replica"})
	for _, b := range g.backends(t) {
		if b.Name == "replica1" && (b.LagSeconds < 0 || b.LSN == 0) {
			t.Errorf("replica status %+v", b)
		}
	}
	cl.Replicas[0].Kill()
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "down"})
	cl.Replicas[0].Start()
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "up/replica"})
	cl.Primary.Kill()
	cl.Replicas[0].Promote()
	g.waitBackends(t, map[string]string{"primary": "down", "replica1": "up/primary"})

	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`floe_backend_up{backend="replica1",database="app"} 1`,
		`floe_backend_up{backend="primary",database="app"} 0`,
		`floe_backend_state_changes_total{backend="replica1",database="app",role="primary",state="up"}`,
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !strings.Contains(g.log.String(), `"msg":"backend state changed"`) {
		t.Error("state changes not logged")
	}
}
