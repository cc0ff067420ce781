package sqlitedb

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/stmt"
)

func TestEngineAsDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	d0, err := Open(context.Background(), "a", path, slog.New(slog.NewTextHandler(io.Discard, nil)), observe.NewMetrics())
	if err != nil {
		t.Fatal(err)
	}
	var d backend.Database = d0
	e := d0.Engine()
	same := config.Database{Name: "a", Kind: config.KindSQLite, Path: path}
	for _, tc := range []struct {
		db   config.Database
		want bool
	}{
		{same, true},
		{config.Database{Name: "a", Kind: config.KindSQLite, Path: path + "2"}, false},
		{config.Database{Name: "a", Kind: config.KindPostgres, Path: path}, false},
	} {
		if got := d.SameBackend(tc.db) && d.SameDSN(tc.db) && d.SameServers(tc.db); got != tc.want {
			t.Errorf("%s %s: same %v, want %v", tc.db.Kind, tc.db.Path, got, tc.want)
		}
		if got := d.SameBackend(tc.db) || d.SameDSN(tc.db) || d.SameServers(tc.db); got != tc.want {
			t.Errorf("%s %s: some same %v, want %v", tc.db.Kind, tc.db.Path, got, tc.want)
		}
	}
	if d.Postgres() == nil || d.MySQL() == nil {
		t.Fatal("an SQLite database serves both protocols")
	}
	// Each front end names its dialect's pipeline (the data APIs run
	// their statements through it).
	type piped interface{ Pipeline() *stmt.Pipeline }
	pg, _ := d.Postgres().(piped)
	my, _ := d.MySQL().(piped)
	if pg == nil || my == nil || pg.Pipeline() != e.Pipeline(analysis.Postgres) || my.Pipeline() != e.Pipeline(analysis.MySQL) || pg.Pipeline() == my.Pipeline() {
		t.Fatal("the front ends do not name their dialect's pipeline")
	}
	if err := e.DB().Ping(); err != nil {
		t.Fatal(err)
	}
	// Retire closes at once: the engine does not count its sessions.
	d.Retire()
	if err := e.DB().Ping(); err == nil {
		t.Fatal("the database is still open after Retire")
	}
	d.Close() // twice is harmless
}
