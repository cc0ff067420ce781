package backend

import (
	"errors"
	"testing"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// fake is a Database whose answers to the Same* questions are set by the
// test; it records what Reconcile asked it to do.
type fake struct {
	sameBackend, sameDSN, sameServers bool
	rekeyErr                          error
	reconfigured                      *config.Pool
	rekeyed                           bool
}

func (f *fake) Postgres() pgwire.Handler           { return nil }
func (f *fake) MySQL() mysqlwire.Handler           { return nil }
func (f *fake) SameBackend(config.Database) bool   { return f.sameBackend }
func (f *fake) SameDSN(config.Database) bool       { return f.sameDSN }
func (f *fake) SameServers(config.Database) bool   { return f.sameServers }
func (f *fake) Reconfigure(pc config.Pool)         { f.reconfigured = &pc }
func (f *fake) Rekey(config.Database) error        { f.rekeyed = true; return f.rekeyErr }
func (f *fake) Apply(Settings)                     {}
func (f *fake) SetTopology(func() []route.Backend) {}
func (f *fake) ServerWentDown(string)              {}
func (f *fake) ServerCameUp(string)                {}
func (f *fake) BreakerState(string) string         { return "" }
func (f *fake) PoolStats() []pool.ServerStats      { return nil }
func (f *fake) Retire()                            {}
func (f *fake) Close()                             {}

func TestReconcile(t *testing.T) {
	db := config.Database{Name: "app", Kind: config.KindPostgres, Pool: config.Pool{Size: 7}}
	opened := &fake{}
	tests := []struct {
		name         string
		cur          *fake
		want         string // "cur" or "new"
		reconfigured bool
		rekeyed      bool
		err          error
	}{
		{name: "none running", cur: nil, want: "new"},
		{name: "same backend", cur: &fake{sameBackend: true, sameDSN: true, sameServers: true}, want: "cur"},
		{name: "new pool settings", cur: &fake{sameDSN: true, sameServers: true}, want: "cur", reconfigured: true},
		{name: "rotated passwords", cur: &fake{sameServers: true}, want: "cur", rekeyed: true},
		{name: "rekey fails", cur: &fake{sameServers: true, rekeyErr: errors.New("bad dsn")}, rekeyed: true, err: errors.New("bad dsn")},
		{name: "other servers", cur: &fake{}, want: "new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cur Database
			if tc.cur != nil {
				cur = tc.cur
			}
			opens := 0
			got, err := Reconcile(cur, db, func() (Database, error) { opens++; return opened, nil })
			if tc.err != nil {
				if err == nil || err.Error() != tc.err.Error() || got != nil || opens != 0 {
					t.Fatalf("got %v, %v, %d opens; want error %q and nothing opened", got, err, opens, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			switch tc.want {
			case "cur":
				if got != cur || opens != 0 {
					t.Fatalf("got %p (%d opens), want the running database kept", got, opens)
				}
			case "new":
				if got != Database(opened) || opens != 1 {
					t.Fatalf("got %p (%d opens), want a new database", got, opens)
				}
			}
			if tc.cur == nil {
				return
			}
			if (tc.cur.reconfigured != nil) != tc.reconfigured || (tc.reconfigured && *tc.cur.reconfigured != db.Pool) {
				t.Errorf("reconfigured with %v, want %v", tc.cur.reconfigured, tc.reconfigured)
			}
			if tc.cur.rekeyed != tc.rekeyed {
				t.Errorf("rekeyed %v, want %v", tc.cur.rekeyed, tc.rekeyed)
			}
		})
	}
}
