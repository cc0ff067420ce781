package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/app"
	"github.com/floe-db/floe/internal/cdc"
	"github.com/floe-db/floe/internal/cli"
	"github.com/floe-db/floe/internal/testcluster"
)

// The gateway follows the change streams of a PostgreSQL and a MariaDB
// database with cdc enabled: writes made directly on the servers reach
// the app's consumer, GET /api/v1/cdc and the metrics show the streams,
// and after the gateway stops `floe cdc status` shows the slot and
// `floe cdc drop` removes the slot, the publication and the state file.
func TestCDCGateway(t *testing.T) {
	pg := testcluster.StartPG(t, 0, testcluster.Logical())
	my := testcluster.StartMariaDB(t, 0, testcluster.RowBinlog())
	if err := pg.Primary.Exec("CREATE TABLE orders (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if err := my.Primary.Exec("CREATE DATABASE shop"); err != nil {
		t.Fatal(err)
	}
	if err := my.Primary.Exec("CREATE TABLE shop.items (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	var mu sync.Mutex
	var got []string
	config := func(appEnabled bool) string {
		return fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    cdc: {enabled: %v, heartbeat: 200ms, state_dir: %q}
  - name: shop
    kind: mysql
    primary: %q
    cdc: {enabled: true, heartbeat: 200ms, server_id: 777, state_dir: %q}
users:
  - {name: alice, password: alice-secret}
`, pg.Primary.DSN(), appEnabled, state, my.Primary.DSN()+"shop", state)
	}
	g := startWith(t, config(true), app.Options{Changes: func(ev cdc.Event) {
		mu.Lock()
		got = append(got, ev.Database+" "+string(ev.Op)+" "+ev.Schema+"."+ev.Table)
		mu.Unlock()
	}})
	var body struct{ CDC []cdc.Status }
	eventually(t, 30*time.Second, func() error {
		body.CDC = nil
		if code := g.adminCall(t, "GET", "/api/v1/cdc", testReadToken, &body); code != 200 {
			return fmt.Errorf("GET /api/v1/cdc: %d", code)
		}
		if len(body.CDC) != 2 {
			return fmt.Errorf("streams %+v", body.CDC)
		}
		for _, s := range body.CDC {
			if !s.Connected || s.Watermark.IsZero() || s.LagSeconds < 0 || s.LagSeconds > 5 {
				return fmt.Errorf("stream %+v", s)
			}
		}
		return nil
	})
	if err := pg.Primary.Exec("INSERT INTO orders VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := my.Primary.Exec("DELETE FROM shop.items"); err != nil { // no row: no event
		t.Fatal(err)
	}
	if err := my.Primary.Exec("INSERT INTO shop.items VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// Each stream delivers in commit order; the two databases' streams
	// are independent, so their events are compared in a fixed order.
	want := []string{"app insert public.orders", "shop insert shop.items"}
	eventually(t, 20*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(slices.Sorted(slices.Values(got)), "|") != strings.Join(want, "|") {
			return fmt.Errorf("events %q, want %q", got, want)
		}
		return nil
	})
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, w := range []string{`floe_cdc_events_total{database="app",op="insert"} 1`, `floe_cdc_events_total{database="shop",op="insert"} 1`,
		`floe_cdc_lag_seconds{database="app"}`, `floe_cdc_lag_seconds{database="shop"}`} {
		if !strings.Contains(string(m), w) {
			t.Errorf("metrics lack %s", w)
		}
	}

	// A reload that turns the stream of app off stops it: the slot is
	// released, the other stream goes on.
	g.rewrite(t, config(false))
	g.sig <- syscall.SIGHUP
	eventually(t, 20*time.Second, func() error {
		body.CDC = nil
		g.adminCall(t, "GET", "/api/v1/cdc", testReadToken, &body)
		if len(body.CDC) != 1 || body.CDC[0].Database != "shop" || !body.CDC[0].Connected {
			return fmt.Errorf("streams after reload: %+v", body.CDC)
		}
		s, err := cdc.PostgresSlot(context.Background(), pg.Primary.DSN(), "floe_app")
		if err != nil || !s.Exists || s.Active {
			return fmt.Errorf("slot after reload: %+v %v", s, err)
		}
		return nil
	})
	g.stop(t)

	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := cli.Main(context.Background(), append(args, "--config", g.cfgPath), strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("floe %s: %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		}
		return out.String()
	}
	if out := run("cdc", "status"); !strings.Contains(out, "floe_app (inactive, confirmed") || !strings.Contains(out, "mysql-bin.") {
		t.Fatalf("floe cdc status:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(state, "cdc-shop.json")); err != nil {
		t.Fatalf("state file of shop: %v", err)
	}
	out := run("cdc", "drop")
	if !strings.Contains(out, "slot floe_app dropped, publication floe_app dropped") {
		t.Fatalf("floe cdc drop:\n%s", out)
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pg.Primary.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT (SELECT count(*) FROM pg_replication_slots) + (SELECT count(*) FROM pg_publication)").Scan(&n); err != nil || n != 0 {
		t.Fatalf("slots and publications left: %d %v", n, err)
	}
	for _, f := range []string{"cdc-shop.json", "cdc-app.json"} {
		if _, err := os.Stat(filepath.Join(state, f)); !os.IsNotExist(err) {
			t.Fatalf("%s after drop: %v", f, err)
		}
	}
}
