package app

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/floe-db/floe/internal/cdc"
	"github.com/floe-db/floe/internal/config"
)

// cdcOf is a running change stream and the settings it was made from.
type cdcOf struct {
	s      *cdc.Stream
	db     config.Database
	cancel context.CancelFunc
	done   chan struct{}
}

func (c cdcOf) stop() {
	c.cancel()
	<-c.done
}

// cdcStateDir is where a database's stream keeps its state file:
// cdc.state_dir, else the gateway's data directory.
func (a *App) cdcStateDir(x *config.CDC) string {
	if x.StateDir != "" {
		return x.StateDir
	}
	if a.opts.DataDir != "" {
		return a.opts.DataDir
	}
	return "data"
}

// sameCDC: a running stream stays across a reload while the primary and
// its cdc settings stay.
func sameCDC(a, b config.Database) bool {
	return a.Kind == b.Kind && a.Primary == b.Primary && a.CDC != nil && b.CDC != nil &&
		a.CDC.Slot == b.CDC.Slot && a.CDC.DDLTrigger == b.CDC.DDLTrigger && a.CDC.Publication == b.CDC.Publication && slices.Equal(a.CDC.Tables, b.CDC.Tables) &&
		a.CDC.ServerID == b.CDC.ServerID && a.CDC.Heartbeat == b.CDC.Heartbeat && a.CDC.StateDir == b.CDC.StateDir
}

// reviseCDCLocked runs a change stream for every database with cdc
// enabled, keeping a running one whose settings stay, and stops the
// others.
func (a *App) reviseCDCLocked(cfg *config.Config) {
	next := map[string]cdcOf{}
	for _, db := range cfg.Databases {
		if db.CDC == nil || !db.CDC.Enabled {
			continue
		}
		if cur, ok := a.mu.cdc[db.Name]; ok && sameCDC(cur.db, db) {
			next[db.Name] = cur
			continue
		}
		if cur, ok := a.mu.cdc[db.Name]; ok {
			// The slot (or server id) is exclusive: the old stream stops
			// before the new one starts.
			cur.stop()
			delete(a.mu.cdc, db.Name)
		}
		if a.cdcMetrics == nil {
			m, err := cdc.NewMetrics(a.metrics.Registry())
			if err != nil {
				a.log.Error("change-data capture metrics", "error", err.Error())
				continue
			}
			a.cdcMetrics = m
		}
		x := db.CDC
		s, err := cdc.New(cdc.Options{
			Database: db.Name, Kind: db.Kind, DSN: db.Primary, Slot: x.Slot, Publication: x.Publication,
			Tables: x.Tables, DDLTrigger: x.DDLTrigger, ServerID: x.ServerID, Heartbeat: x.Heartbeat, StateDir: a.cdcStateDir(x),
			Handler: a.cdcEvent, Metrics: a.cdcMetrics, Log: a.log.With("component", "cdc", "database", db.Name),
		})
		if err != nil {
			a.log.Error("change-data capture", "database", db.Name, "error", err.Error())
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		c := cdcOf{s: s, db: db, cancel: cancel, done: make(chan struct{})}
		go func() {
			defer close(c.done)
			_ = s.Run(ctx)
		}()
		next[db.Name] = c
	}
	for name, cur := range a.mu.cdc {
		if next[name].s != cur.s {
			cur.stop()
		}
	}
	a.mu.cdc = next
	// Each database's result cache follows its stream's watermark (none:
	// entries live at most max_staleness).
	for _, db := range cfg.Databases {
		if c, ok := next[db.Name]; ok {
			a.caches.SetFeed(db.Name, streamFeed{c.s})
		} else {
			a.caches.SetFeed(db.Name, nil)
		}
	}
}

// streamFeed is a change stream as the result cache reads it.
type streamFeed struct{ s *cdc.Stream }

func (f streamFeed) Watermark() time.Time { return f.s.Watermark() }
func (f streamFeed) Connected() bool      { return f.s.Status().Connected }

// closeCDCLocked stops every change stream (each saves its position).
func (a *App) closeCDCLocked() {
	for _, c := range a.mu.cdc {
		c.stop()
	}
	a.mu.cdc = nil
}

// cdcEvent receives every database's change events, in commit order per
// database, and hands them to the program's consumer.
func (a *App) cdcEvent(ev cdc.Event) {
	// The result cache first: a change made outside the gateway drops
	// the table's entries (a schema change without a table, all of them).
	var tables []string
	if ev.Table != "" {
		tables = []string{ev.Table}
	}
	a.caches.Invalidate(context.Background(), ev.Database, tables)
	if ev.Op == cdc.OpDDL || ev.Op == cdc.OpTruncate {
		// The catalogue metadata of the table (or, unnamed, of every
		// table) may have changed.
		a.InvalidateMetadata(ev.Database, tables)
	}
	if a.opts.Changes != nil {
		a.opts.Changes(ev)
	}
}

// CDCWatermark is the watermark of a database's change stream: every
// change committed before it has been delivered. ok is false when the
// database has no stream.
func (a *App) CDCWatermark(db string) (time.Time, bool) {
	a.mu.Lock()
	c, ok := a.mu.cdc[db]
	a.mu.Unlock()
	if !ok {
		return time.Time{}, false
	}
	return c.s.Watermark(), true
}

// cdcStatuses lists every change stream (admin GET /api/v1/cdc).
func (a *App) cdcStatuses() []cdc.Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []cdc.Status{}
	for _, name := range slices.Sorted(maps.Keys(a.mu.cdc)) {
		out = append(out, a.mu.cdc[name].s.Status())
	}
	return out
}

// CDC lists the change streams for the admin API.
func (g adminGateway) CDC() any { return g.a.cdcStatuses() }
